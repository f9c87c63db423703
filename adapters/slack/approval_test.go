package slack

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// requestRestart has olga (an operator through her user group) ask for a
// restart, and returns the approval messages posted in the channel and in
// the notify channel.
func requestRestart(t *testing.T, h *harness) (inChannel, inNotify slackfake.Message) {
	t.Helper()
	since := h.fake.Seq()
	_, body, _ := h.slash(olga, "restart web")
	if r := decodeReply(t, body); r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Approval request") {
		t.Fatalf("restart by an operator: %+v", r)
	}
	posted := func(ch string) slackfake.Message {
		m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == ch })
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	inChannel, inNotify = posted(channel), posted(notify)
	for _, m := range []slackfake.Message{inChannel, inNotify} {
		if b := m.Buttons(); len(b) != 2 || !strings.HasPrefix(b[0].Value, "ops approve ") || !strings.HasPrefix(b[1].Value, "ops deny ") {
			t.Fatalf("approval message without Approve and Deny: %s", m.All())
		}
		if !strings.Contains(m.All(), "<@U0OLGA> asks to run `supervisor.program.restart web`") || !strings.Contains(m.All(), "restart web on test") {
			t.Errorf("approval message does not name the requester, the operation and the plan: %s", m.All())
		}
	}
	return inChannel, inNotify
}

func ephemeralFor(t *testing.T, h *harness, since int, user string) slackfake.Message {
	t.Helper()
	m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "ephemeral" && m.User == user })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestApprovalButtons(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	msg, copyMsg := requestRestart(t, h)

	since := h.fake.Seq()
	h.click(olga, msg, actionApprove, "1.1")
	if m := ephemeralFor(t, h, since, olga.UserID); !strings.Contains(m.All(), "only holders of the role admin") {
		t.Errorf("the requester's click: %s", m.All())
	}
	since = h.fake.Seq()
	h.click(vic, msg, actionApprove, "1.2")
	ephemeralFor(t, h, since, vic.UserID)
	if h.b.restarts.Load() != 0 {
		t.Fatal("a refused click applied the restart")
	}
	for _, m := range h.fake.Messages() {
		if m.Kind == "update" {
			t.Fatalf("a refused click changed the message: %s", m.All())
		}
	}

	since = h.fake.Seq()
	h.click(alice, copyMsg, actionApprove, "1.3") // from the notify channel's copy
	for _, ch := range []string{notify, channel} {
		m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.Channel == ch })
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Buttons()) != 0 || !strings.Contains(m.All(), "Approved") || !strings.Contains(m.All(), "Decided by <@U0ALICE>") ||
			!strings.Contains(m.All(), "pid 101") {
			t.Errorf("decided request in %s: %s", ch, m.All())
		}
	}
	if got := h.b.restarts.Load(); got != 1 {
		t.Errorf("restarts: %d, want 1", got)
	}
}

func TestDenyButtonAndTypedDecision(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	msg, _ := requestRestart(t, h)
	since := h.fake.Seq()
	h.click(bob, msg, actionDeny, "2.1")
	m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.Channel == channel })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.All(), "Denied") || len(m.Buttons()) != 0 {
		t.Errorf("denied request: %s", m.All())
	}

	msg, _ = requestRestart(t, h)
	id := strings.TrimPrefix(msg.Buttons()[0].Value, "ops approve ")
	since = h.fake.Seq()
	_, body, _ := h.slash(alice, "ops approve "+id)
	if r := decodeReply(t, body); r.ResponseType != "in_channel" || !strings.Contains(r.Text, "Approved") {
		t.Errorf("typed approval: %+v", r)
	}
	if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.TS == msg.TS }); err != nil {
		t.Errorf("a typed decision left the buttons: %v", err)
	}
	if got := h.b.restarts.Load(); got != 1 {
		t.Errorf("restarts: %d, want 1", got)
	}
}

func TestConcurrentClicksApplyOnce(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	msg, _ := requestRestart(t, h)
	since := h.fake.Seq()
	clicks := []struct {
		who slackfake.Slash
		ts  string
	}{{alice, "3.1"}, {bob, "3.2"}, {alice, "3.3"}, {alice, "3.1"}} // the last is a retried delivery
	var wg sync.WaitGroup
	for _, c := range clicks {
		wg.Go(func() {
			if code, _ := h.click(c.who, msg, actionApprove, c.ts); code != 200 {
				t.Errorf("click %s: %d", c.ts, code)
			}
		})
	}
	wg.Wait()
	if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.Channel == channel }); err != nil {
		t.Fatal(err)
	}
	// Two of the three distinct clicks lose and are told so; the retry is silent.
	deadline := time.Now().Add(wait)
	for {
		var updates, told int
		for _, m := range h.fake.Messages() {
			if m.Seq <= since {
				continue
			}
			switch {
			case m.Kind == "update" && m.Channel == channel:
				updates++
			case m.Kind == "ephemeral" && strings.Contains(m.All(), "already approved"):
				told++
			}
		}
		if updates == 1 && told == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d updates and %d refusals, want 1 and 2", updates, told)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := h.b.restarts.Load(); got != 1 {
		t.Errorf("four clicks applied the restart %d times", got)
	}
}

func TestClickOnUnknownActionIsIgnored(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	c := slackfake.Click{UserID: alice.UserID, ChannelID: channel, MessageTS: "1.0", ActionID: "other-app", Value: "supervisor stop web",
		ActionTS: "9.9", ResponseURL: h.fake.ResponseURL()}
	if code, body := h.post("/slack/interactions", slackfake.InteractionForm(c.Payload())); code != 200 || body != "" {
		t.Errorf("click: %d %q", code, body)
	}
	time.Sleep(100 * time.Millisecond)
	if h.b.restarts.Load() != 0 {
		t.Error("a button that is not poolvisor's ran a command")
	}
}
