package slack

import (
	"context"
	"fmt"
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
	ref, err := h.a.Alerts().PostAlert(ctx, a)
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
	if err := h.a.Alerts().UpdateAlert(ctx, ref, a); err != nil {
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
	if err := h.a.Alerts().PostRecovery(ctx, ref, a); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.Wait(2*time.Second, 0, func(m slackfake.Message) bool {
		return m.Kind == "post" && m.ThreadTS == posted.TS && strings.Contains(m.Text, "recovered")
	}); err != nil {
		t.Error(err)
	}
}

// hostile is a process name, host and log that try to ping everyone in
// every way Slack knows, and to end a code block early.
var hostile = alert.Alert{Kind: alert.KindProgram, Host: "web<!here>", Program: "evil:<!channel>@everyone", State: "FATAL",
	Count: 2, First: time.Now(), Last: time.Now(), LogTail: "<!everyone> ``` <@U0ALICE> <https://evil.example|click>"}

// TestAlertTextIsEscapedEverywhere: the top-level text (what
// notifications show), the blocks, the recovery and the summary of held
// alerts carry a hostile name only escaped (issue 14, item 6).
func TestAlertTextIsEscapedEverywhere(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	ctx := context.Background()
	ref, err := h.a.Alerts().PostAlert(ctx, hostile)
	if err != nil {
		t.Fatal(err)
	}
	rec := hostile
	rec.Recovered = true
	if err := h.a.Alerts().UpdateAlert(ctx, ref, rec); err != nil {
		t.Fatal(err)
	}
	if err := h.a.Alerts().PostRecovery(ctx, ref, rec); err != nil {
		t.Fatal(err)
	}
	held := alert.Alert{Kind: alert.KindHeld, Host: "web<!here>", Count: 1, State: "evil:<!channel>@everyone (FATAL)"}
	if _, err := h.a.Alerts().PostAlert(ctx, held); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.Wait(2*time.Second, 0, func(m slackfake.Message) bool { return strings.Contains(m.Text, "held back") }); err != nil {
		t.Fatal(err)
	}
	var n int
	for _, m := range h.fake.Messages() {
		if m.Channel != notify {
			continue
		}
		n++
		for field, v := range map[string]string{"text": m.Text, "blocks": string(m.Blocks)} {
			for _, raw := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0ALICE>", "<https://"} {
				if strings.Contains(v, raw) {
					t.Errorf("%s message #%d carries %s raw in its %s: %s", m.Kind, m.Seq, raw, field, v)
				}
			}
		}
		if !strings.Contains(m.Text, "evil:&lt;!channel&gt;@everyone") {
			t.Errorf("%s message #%d does not name the program (escaped) in its text: %s", m.Kind, m.Seq, m.Text)
		}
		if len(m.Buttons()) != 0 {
			t.Errorf("a button for a name the grammar cannot read back: %+v", m.Buttons())
		}
	}
	if n != 4 {
		t.Errorf("%d messages in the notify channel, want 4", n)
	}
}

// TestRestartButtonForAnyProgramName: names with dots, dashes and a
// group get a Restart button that restarts exactly that process.
func TestRestartButtonForAnyProgramName(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	for i, name := range []string{"my.app-1", "queue.v2-eu:queue.v2-eu_00", strings.Repeat("g", 64) + ":" + strings.Repeat("p", 64)} {
		seq := h.fake.Seq()
		a := alert.Alert{Kind: alert.KindProgram, Host: "test", Program: name, State: "FATAL", Count: 1,
			First: time.Now(), Last: time.Now(), Action: "supervisor restart " + name, ActionLabel: "Restart"}
		if _, err := h.a.Alerts().PostAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		posted, err := h.fake.Wait(2*time.Second, seq, func(m slackfake.Message) bool {
			return m.Kind == "post" && m.Channel == notify && strings.Contains(m.Text, "is FATAL")
		})
		if err != nil {
			t.Fatal(err)
		}
		seq = h.fake.Seq()
		h.click(olga, posted, actionRestart, fmt.Sprintf("1700000200.00000%d", i))
		if _, err := h.fake.Wait(3*time.Second, seq, func(m slackfake.Message) bool {
			return strings.Contains(m.All(), "Approval needed") && strings.Contains(m.All(), "restart "+name)
		}); err != nil {
			t.Errorf("%s: the Restart click made no approval request for it: %v", name, err)
		}
	}
}
