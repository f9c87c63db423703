package discord

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/alert"
)

func TestAlerts(t *testing.T) {
	h := newHarness(t)
	al := alert.Alert{Host: "test", Program: "worker", State: "FATAL", Count: 1, First: time.Now(), Last: time.Now(),
		LogTail: strings.Repeat("a log line\n", 500), Action: "supervisor restart worker"}
	seq := h.fake.Seq()
	ref, err := h.a.PostAlert(t.Context(), al)
	if err != nil {
		t.Fatal(err)
	}
	posted := h.wait(seq, "the alert", func(c discordfake.Call) bool { return c.Method == http.MethodPost && c.Channel == notify })
	if b := posted.Msg.Buttons(); len(b) != 1 || b[0].CustomID != "pv:supervisor restart worker" || !strings.Contains(posted.Msg.Text(), "worker on test is FATAL") {
		t.Errorf("alert: %s %+v", posted.Msg.Text(), b)
	}
	al.Count, al.State = 3, "BACKOFF"
	seq = h.fake.Seq()
	if err := h.a.UpdateAlert(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	up := h.wait(seq, "the update", func(c discordfake.Call) bool { return c.Method == http.MethodPatch })
	if !strings.HasSuffix(ref, "/"+strings.TrimPrefix(up.Path, "channels/"+notify+"/messages/")) || !strings.Contains(up.Msg.Text(), "3 times") {
		t.Errorf("update %s of %s: %s", up.Path, ref, up.Msg.Text())
	}
	al.Recovered = true
	seq = h.fake.Seq()
	if err := h.a.PostRecovery(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	rec := h.wait(seq, "the recovery", func(c discordfake.Call) bool { return c.Method == http.MethodPost })
	if !strings.Contains(string(rec.Body), `"message_reference"`) || len(rec.Msg.Buttons()) != 0 || !strings.Contains(rec.Msg.Text(), "recovered") {
		t.Errorf("recovery: %s", rec.Body)
	}
}
