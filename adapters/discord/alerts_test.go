package discord

import (
	"encoding/json"
	"fmt"
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
	ref, err := h.a.Alerts().PostAlert(t.Context(), al)
	if err != nil {
		t.Fatal(err)
	}
	posted := h.wait(seq, "the alert", func(c discordfake.Call) bool { return c.Method == http.MethodPost && c.Channel == notify })
	if b := posted.Msg.Buttons(); len(b) != 1 || b[0].CustomID != "pv:supervisor restart worker" || !strings.Contains(posted.Msg.Text(), "worker on test is FATAL") {
		t.Errorf("alert: %s %+v", posted.Msg.Text(), b)
	}
	al.Count, al.State = 3, "BACKOFF"
	seq = h.fake.Seq()
	if err := h.a.Alerts().UpdateAlert(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	up := h.wait(seq, "the update", func(c discordfake.Call) bool { return c.Method == http.MethodPatch })
	if !strings.HasSuffix(ref, "/"+strings.TrimPrefix(up.Path, "channels/"+notify+"/messages/")) || !strings.Contains(up.Msg.Text(), "3 times") {
		t.Errorf("update %s of %s: %s", up.Path, ref, up.Msg.Text())
	}
	al.Recovered = true
	seq = h.fake.Seq()
	if err := h.a.Alerts().PostRecovery(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	rec := h.wait(seq, "the recovery", func(c discordfake.Call) bool { return c.Method == http.MethodPost })
	if !strings.Contains(string(rec.Body), `"message_reference"`) || len(rec.Msg.Buttons()) != 0 || !strings.Contains(rec.Msg.Text(), "recovered") {
		t.Errorf("recovery: %s", rec.Body)
	}
}

// TestAlertTextIsEscapedEverywhere: a hostile process name, host and log
// reach Discord only escaped, in every message of an alert, and no message
// may mention anyone (issue 14, item 6).
func TestAlertTextIsEscapedEverywhere(t *testing.T) {
	h := newHarness(t)
	hostile := alert.Alert{Kind: alert.KindProgram, Host: "web@here", Program: "evil:<@&41771983423143936>@everyone", State: "FATAL",
		Count: 2, First: time.Now(), Last: time.Now(), LogTail: "@everyone ``` <@500000000000000001> **bold**"}
	seq := h.fake.Seq()
	ref, err := h.a.Alerts().PostAlert(t.Context(), hostile)
	if err != nil {
		t.Fatal(err)
	}
	rec := hostile
	rec.Recovered = true
	if err := h.a.Alerts().UpdateAlert(t.Context(), ref, rec); err != nil {
		t.Fatal(err)
	}
	if err := h.a.Alerts().PostRecovery(t.Context(), ref, rec); err != nil {
		t.Fatal(err)
	}
	held := alert.Alert{Kind: alert.KindHeld, Host: "web@here", Count: 1, State: "evil:<@&41771983423143936>@everyone (FATAL)"}
	if _, err := h.a.Alerts().PostAlert(t.Context(), held); err != nil {
		t.Fatal(err)
	}
	h.wait(seq, "the summary", func(c discordfake.Call) bool { return strings.Contains(c.Msg.Text(), "held back") })
	n := 0
	for _, c := range h.fake.Calls(seq) {
		if c.Channel != notify {
			continue
		}
		n++
		var body struct {
			AllowedMentions *struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(c.Body, &body); err != nil || body.AllowedMentions == nil || body.AllowedMentions.Parse == nil || len(body.AllowedMentions.Parse) != 0 {
			t.Errorf("%s %s does not forbid mentions (allowed_mentions.parse []): %s", c.Method, c.Path, c.Body)
		}
		text := c.Msg.Text()
		for _, raw := range []string{"@everyone", "@here", "<@&", "<@5"} {
			if strings.Contains(text, raw) {
				t.Errorf("%s %s carries %s raw: %s", c.Method, c.Path, raw, text)
			}
		}
		if title, _, _ := strings.Cut(text, "\n"); strings.Contains(title, "<@") || strings.Contains(title, "**bold**") {
			t.Errorf("%s %s: markup raw in the title: %s", c.Method, c.Path, title)
		}
		if len(c.Msg.Buttons()) != 0 {
			t.Errorf("a button for a name the grammar cannot read back: %+v", c.Msg.Buttons())
		}
	}
	if n != 4 {
		t.Errorf("%d calls in the notify channel, want 4", n)
	}
}

// TestRestartButtonForAnyProgramName: names with dots, dashes and a
// group get a Restart button that restarts exactly that process, also
// when the command is too long for a custom_id.
func TestRestartButtonForAnyProgramName(t *testing.T) {
	h := newHarness(t)
	for i, name := range []string{"my.app-1", "queue.v2-eu:queue.v2-eu_00", strings.Repeat("g", 64) + ":" + strings.Repeat("p", 64)} {
		a := alert.Alert{Kind: alert.KindProgram, Host: "test", Program: name, State: "FATAL", Count: 1,
			First: time.Now(), Last: time.Now(), Action: "supervisor restart " + name, ActionLabel: "Restart"}
		seq := h.fake.Seq()
		if _, err := h.a.Alerts().PostAlert(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		posted := h.wait(seq, "the alert", func(c discordfake.Call) bool {
			return c.Method == http.MethodPost && c.Channel == notify && strings.Contains(c.Msg.Text(), "is FATAL")
		})
		b := posted.Msg.Buttons()
		if len(b) != 1 {
			t.Fatalf("%s: buttons %+v", name, b)
		}
		in := discordfake.Click(appID, guild, notify, olga, fmt.Sprintf("70000000000000000%d", i), b[0].CustomID)
		var msg map[string]any
		if err := json.Unmarshal(posted.Body, &msg); err != nil {
			t.Fatal(err)
		}
		msg["id"], msg["channel_id"] = fmt.Sprintf("70000000000000000%d", i), notify
		in["message"] = msg
		r := h.interact(in)
		if got := r.msg(t).Text(); !strings.Contains(got, "Approval") || !strings.Contains(got, "restart "+name) {
			t.Errorf("%s: the Restart click answered %s", name, got)
		}
	}
}

// TestLongAlertButtonAfterRestart: an alert whose command is too long for
// a custom_id (a GROUP:PROCESS near the 64-character limit, on a host of a
// long name) gets a button that still runs that command when pressed after
// serve restarts, pressed twice, from what the adapter kept, not from the
// message; a key poolvisor never gave is refused and runs nothing.
func TestLongAlertButtonAfterRestart(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	name := strings.Repeat("g", 60) + ":" + strings.Repeat("p", 60)
	cmd := "supervisor restart " + name + " --host " + strings.Repeat("h", 40) + ".example.org"
	before, stop := h.served(t, openPosted(t, dir))
	seq := h.fake.Seq()
	if _, err := before.a.Alerts().PostAlert(t.Context(), alert.Alert{Kind: alert.KindProgram, Host: "test", Program: name, State: "FATAL",
		Count: 1, First: time.Now(), Last: time.Now(), Action: cmd, ActionLabel: "Restart"}); err != nil {
		t.Fatal(err)
	}
	posted := h.wait(seq, "the alert", func(c discordfake.Call) bool { return c.Method == http.MethodPost && c.Channel == notify })
	b := posted.Msg.Buttons()
	if len(b) != 1 || len(b[0].CustomID) > maxCustomID || strings.Contains(posted.Msg.Text(), "--host") {
		t.Fatalf("alert: %s %+v", posted.Msg.Text(), b)
	}
	stop()
	after, _ := h.served(t, openPosted(t, dir))
	for i := range 2 {
		in := discordfake.Click(appID, guild, notify, olga, fmt.Sprintf("71000000000000000%d", i), b[0].CustomID)
		in["message"] = map[string]any{"id": "710000000000000009", "channel_id": notify}
		// This pipeline serves the host "test" alone: its answer names the
		// host at the command's end, so the whole command came through.
		if got := after.interact(in).msg(t).Text(); !strings.Contains(got, `unknown host "`+strings.Repeat("h", 40)+`.example.org"`) {
			t.Errorf("press %d after a restart answered %s", i+1, got)
		}
	}
	forged := discordfake.Click(appID, guild, notify, olga, "710000000000000008", alertKey+"AAAAAAAAAAAAAAAAAAAAAAAA")
	if got := after.interact(forged).msg(t).Text(); !strings.Contains(got, "does not know this alert's button") || strings.Contains(got, "Approval") {
		t.Errorf("a forged key answered %s", got)
	}
}
