package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/alert"
)

func TestAlertsPostUpdateAndRecoverInThread(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	ctx := context.Background()
	a := alert.Alert{Host: "test", Program: "web", State: "FATAL", Count: 1, First: time.Now(), Last: time.Now(),
		LogTail: strings.Repeat("noise\n", 2000) + "PHP Fatal error: out of memory", Action: "supervisor restart web"}
	ref, err := h.a.PostAlert(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	posted, err := h.fake.Wait(2*time.Second, 0, func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == notify })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(posted.All(), "out of memory") || !strings.Contains(posted.All(), "cut from the top") {
		t.Errorf("alert:\n%s", posted.All())
	}
	buttons := posted.Buttons()
	if len(buttons) != 1 || buttons[0].Value != "supervisor restart web" {
		t.Fatalf("buttons %+v", buttons)
	}

	a.Count, a.State = 3, "BACKOFF"
	if err := h.a.UpdateAlert(ctx, ref, a); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.Wait(2*time.Second, 0, func(m slackfake.Message) bool {
		return m.Kind == "update" && m.TS == posted.TS && strings.Contains(m.Text, "3 times")
	}); err != nil {
		t.Error(err)
	}

	// The Restart button is a request like any other: an operator's click
	// waits for approval.
	seq := h.fake.Seq()
	h.click(olga, posted, actionRestart, "1700000100.000001")
	if _, err := h.fake.Wait(3*time.Second, seq, func(m slackfake.Message) bool {
		return strings.Contains(m.All(), "Approval needed")
	}); err != nil {
		t.Error(err)
	}

	a.Recovered = true
	if err := h.a.PostRecovery(ctx, ref, a); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.Wait(2*time.Second, 0, func(m slackfake.Message) bool {
		return m.Kind == "post" && m.ThreadTS == posted.TS && strings.Contains(m.Text, "recovered")
	}); err != nil {
		t.Error(err)
	}
}
