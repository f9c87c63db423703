package slack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat/rolltest"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// startRoll makes the harness's stop and restart roll in steps, sends
// `/supervisor stop web` as alice (no approval needed), and returns the
// progress message once batch 1 runs.
func startRoll(t *testing.T, h *harness, steps int) (*rolltest.Roller, slackfake.Message) {
	t.Helper()
	r := rolltest.New(steps)
	h.b.roll.Store(r)
	since := h.fake.Seq()
	if _, body, _ := h.slash(alice, "stop web"); !strings.Contains(body, "Working on") && body != "" {
		t.Fatalf("answer to a roll: %s", body)
	}
	m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return m.Channel == channel && strings.Contains(m.All(), "*batch 1* running")
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, m
}

// progressMessages returns the messages posted to the channel since seq,
// and the updates, failing unless every update is of the one progress
// message posted.
func progressMessages(t *testing.T, h *harness, since int) (posts, updates []slackfake.Message) {
	t.Helper()
	for _, m := range h.fake.Messages() {
		if m.Seq <= since {
			continue
		}
		switch {
		case m.Kind == "post" && m.Channel == channel:
			posts = append(posts, m)
		case m.Kind == "update":
			updates = append(updates, m)
		}
	}
	if len(posts) != 1 {
		t.Fatalf("%d messages posted in the channel, want the one progress message", len(posts))
	}
	for _, u := range updates {
		if u.TS != posts[0].TS || u.Channel != posts[0].Channel {
			t.Errorf("update #%d is of another message (%s), not the progress message (%s)", u.Seq, u.TS, posts[0].TS)
		}
	}
	return posts, updates
}

// TestRollProgress posts one progress message for a rolling restart and
// updates it as each batch begins and ends, with the run's ID and a Cancel
// button, ending with the result's summary; never more updates than the
// roll made reports, and a 429 on chat.update is waited out.
func TestRollProgress(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	h.fake.RateLimitNext("chat.update", 1, 1)
	since := h.fake.Seq()
	r, first := startRoll(t, h, 3)
	if b := first.Buttons(); len(b) != 1 || b[0].ActionID != actionCancel || !strings.HasPrefix(b[0].Value, "ops cancel ") {
		t.Fatalf("progress message without its Cancel button: %s", first.All())
	}
	id := strings.TrimPrefix(first.Buttons()[0].Value, "ops cancel ")
	if !strings.Contains(first.All(), "/ops cancel "+id) || !strings.Contains(first.All(), "Rolling restart of web on test") {
		t.Errorf("progress message does not say what runs and how to stop it: %s", first.All())
	}
	for i := 1; i <= r.Steps; i++ {
		r.Next()
		m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
			return m.Kind == "update" && strings.Contains(m.All(), fmt.Sprintf("*batch %d* done", i))
		})
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if i < r.Steps && !strings.Contains(m.All(), fmt.Sprintf("%d/3 done", i)) {
			t.Errorf("after batch %d: %s", i, m.All())
		}
	}
	final, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return m.Kind == "update" && strings.Contains(m.All(), "Rolled web on test")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*batch 3* done", "*web* `RUNNING`", "Requested by <@U0ALICE>", "Run `" + id + "` · finished"} {
		if !strings.Contains(final.All(), want) {
			t.Errorf("summary without %q: %s", want, final.All())
		}
	}
	if len(final.Buttons()) != 0 {
		t.Errorf("the summary keeps a button: %s", final.All())
	}
	_, updates := progressMessages(t, h, since)
	if len(updates) > r.Reports() {
		t.Errorf("%d updates for %d reports", len(updates), r.Reports())
	}
	if updates[len(updates)-1].Seq != final.Seq {
		t.Errorf("the summary is not the last update: %s", updates[len(updates)-1].All())
	}
	// The 429 was waited out and the call made again, once.
	if got := h.fake.Calls("chat.update"); got != len(updates)+1 {
		t.Errorf("chat.update called %d times for %d updates and one 429", got, len(updates))
	}
}

// TestRollCancelButton presses Cancel: someone who neither asked nor may
// approve is refused, to them alone, and the roll goes on; an approver
// stops it, the message says so at once and the summary shows what was
// left untouched.
func TestRollCancelButton(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	since := h.fake.Seq()
	r, m := startRoll(t, h, 3)
	id := strings.TrimPrefix(m.Buttons()[0].Value, "ops cancel ")

	h.click(vic, m, actionCancel, "1.1")
	refused, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "ephemeral" && m.User == vic.UserID })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(refused.All(), "may cancel it") {
		t.Errorf("refusal: %s", refused.All())
	}

	h.click(bob, m, actionCancel, "1.2")
	ok, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "ephemeral" && m.User == bob.UserID })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ok.All(), "Cancelling run "+id) {
		t.Errorf("answer to the approver: %s", ok.All())
	}
	cancelling, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return m.Kind == "update" && strings.Contains(m.All(), "cancelling after this step (by slack:U0BOB)")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cancelling.Buttons()) != 0 {
		t.Errorf("a cancelled run keeps its Cancel button: %s", cancelling.All())
	}
	r.Next() // batch 1 ends; the roll stops before batch 2
	final, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return m.Kind == "update" && strings.Contains(m.All(), "Cancelled by slack:U0BOB before batch 2")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*batch 1* done", "*batch 2* untouched", "*batch 3* untouched"} {
		if !strings.Contains(final.All(), want) {
			t.Errorf("summary without %q: %s", want, final.All())
		}
	}
	progressMessages(t, h, since)
	// Neither answer to a press went to the channel.
	for _, m := range h.fake.Messages() {
		if m.Seq > since && m.Kind == "response" && strings.Contains(m.All(), "Cancelling") {
			t.Errorf("the answer to Cancel went to the channel: %s", m.All())
		}
	}
}

// TestApprovedRollProgress approves a rolling restart with the button: the
// request itself shows the roll's progress, then the decision and result.
func TestApprovedRollProgress(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	r := rolltest.New(2)
	h.b.roll.Store(r)
	req, _ := requestRestart(t, h)
	since := h.fake.Seq()
	h.click(bob, req, actionApprove, "2.1")
	running, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return m.Kind == "update" && m.TS == req.TS && strings.Contains(m.All(), "*batch 1* running")
	})
	if err != nil {
		t.Fatal(err)
	}
	if b := running.Buttons(); len(b) != 1 || b[0].ActionID != actionCancel {
		t.Errorf("the request shows the roll without its Cancel button: %s", running.All())
	}
	r.Next()
	r.Next()
	final, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return m.Kind == "update" && m.TS == req.TS && strings.Contains(m.All(), "Decided by <@U0BOB>")
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(final.All(), "Rolled web on test") || !strings.Contains(final.All(), "*batch 2* done") {
		t.Errorf("decision without the roll's result: %s", final.All())
	}
	for _, m := range h.fake.Messages() {
		if m.Seq > since && m.Kind == "post" && m.Channel == channel {
			t.Errorf("an approved roll posted a message of its own: %s", m.All())
		}
	}
}
