package discord

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/rolltest"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// isEdit reports whether c edited an interaction's original response (and
// was not refused).
func isEdit(c discordfake.Call) bool {
	return c.Method == http.MethodPatch && strings.HasSuffix(c.Path, "/messages/@original") && c.Err == ""
}

// startRoll makes the harness's stop and restart roll in steps, runs
// /supervisor stop as alice (no approval needed), and returns the deferred
// answer's edit that shows batch 1 running.
func startRoll(t *testing.T, h *harness, steps int) (*rolltest.Roller, discordfake.Call) {
	t.Helper()
	r := rolltest.New(steps)
	h.b.roll.Store(r)
	seq := h.fake.Seq()
	if a := h.command(alice, "supervisor", []string{"stop"}, discordfake.Opt{Name: "program", Value: "web"}); a.Type != 5 {
		t.Fatalf("a roll is answered with type %d, want a public deferral (5): %s", a.Type, a.Data)
	}
	c := h.wait(seq, "batch 1 running", func(c discordfake.Call) bool {
		return isEdit(c) && strings.Contains(c.Msg.Text(), "**batch 1** running")
	})
	return r, c
}

// TestRollProgress edits the deferred answer as each batch begins and
// ends, with the run's ID and a Cancel button, ending with the result's
// summary: one message, never more edits than the roll made reports, and
// a 429 on the edit waited out.
func TestRollProgress(t *testing.T) {
	h := newHarness(t)
	h.fake.RateLimitNext("PATCH webhooks/", 1, 100*time.Millisecond)
	seq := h.fake.Seq()
	r, first := startRoll(t, h, 3)
	b := first.Msg.Buttons()
	if len(b) != 1 || !strings.HasPrefix(b[0].CustomID, "pv:ops cancel ") || b[0].Label != "Cancel" {
		t.Fatalf("progress without its Cancel button: %s", first.Msg.Text())
	}
	id := strings.TrimPrefix(b[0].CustomID, "pv:ops cancel ")
	if !strings.Contains(first.Msg.Text(), "/ops cancel "+id) || !strings.Contains(first.Msg.Text(), "Rolling restart of web on test") {
		t.Errorf("progress does not say what runs and how to stop it: %s", first.Msg.Text())
	}
	for i := 1; i <= r.Steps; i++ {
		r.Next()
		h.wait(seq, fmt.Sprintf("batch %d done", i), func(c discordfake.Call) bool {
			return isEdit(c) && strings.Contains(c.Msg.Text(), fmt.Sprintf("**batch %d** done", i))
		})
	}
	final := h.wait(seq, "the summary", func(c discordfake.Call) bool {
		return isEdit(c) && strings.Contains(c.Msg.Text(), "Rolled web on test")
	})
	for _, want := range []string{"**batch 3** done", "**web** `RUNNING`", "Requested by alice", "Run `" + id + "` · finished"} {
		if !strings.Contains(final.Msg.Text(), want) {
			t.Errorf("summary without %q: %s", want, final.Msg.Text())
		}
	}
	if len(final.Msg.Buttons()) != 0 {
		t.Errorf("the summary keeps a button: %s", final.Msg.Text())
	}
	var edits, limited int
	var last discordfake.Call
	for _, c := range h.fake.Calls(seq) {
		switch {
		case isEdit(c):
			edits++
			last = c
			if c.Token != first.Token {
				t.Errorf("an edit of another interaction's answer: %s", c.Path)
			}
		case strings.Contains(c.Err, "429"):
			limited++
		case strings.HasPrefix(c.Path, "applications/"): // Run registers the commands
		default:
			// a follow-up or a channel message would be a second message
			t.Errorf("a call besides the edits of the answer: %s %s", c.Method, c.Path)
		}
	}
	if edits > r.Reports() {
		t.Errorf("%d edits for %d reports", edits, r.Reports())
	}
	if limited != 1 || last.Seq != final.Seq {
		t.Errorf("429s %d (want the one asked for, waited out); the last edit is #%d, the summary #%d", limited, last.Seq, final.Seq)
	}
}

// TestRollCancelButton presses Cancel: someone who neither asked nor may
// approve is refused, to them alone; an approver stops the roll, the
// message says so at once and the summary shows what was left untouched.
func TestRollCancelButton(t *testing.T) {
	h := newHarness(t)
	seq := h.fake.Seq()
	r, first := startRoll(t, h, 3)
	cancel := first.Msg.Buttons()[0].CustomID
	id := strings.TrimPrefix(cancel, "pv:ops cancel ")

	refused := h.interact(discordfake.Click(appID, guild, channel, vic, "700000000000000001", cancel))
	if m := refused.msg(t); refused.Type != 4 || m.Flags&64 == 0 || !strings.Contains(m.Text(), "may cancel it") {
		t.Errorf("vic's press: type %d flags %d %s", refused.Type, m.Flags, m.Text())
	}
	ok := h.interact(discordfake.Click(appID, guild, channel, bob, "700000000000000001", cancel))
	if m := ok.msg(t); ok.Type != 4 || m.Flags&64 == 0 || !strings.Contains(m.Text(), "Cancelling run "+id) {
		t.Errorf("bob's press: type %d flags %d %s", ok.Type, m.Flags, m.Text())
	}
	by := "discord:" + bob.ID
	cancelling := h.wait(seq, "cancelling", func(c discordfake.Call) bool {
		return isEdit(c) && strings.Contains(c.Msg.Text(), "cancelling after this step (by "+by+")")
	})
	if len(cancelling.Msg.Buttons()) != 0 {
		t.Errorf("a cancelled run keeps its Cancel button: %s", cancelling.Msg.Text())
	}
	r.Next() // batch 1 ends; the roll stops before batch 2
	final := h.wait(seq, "the summary", func(c discordfake.Call) bool {
		return isEdit(c) && strings.Contains(c.Msg.Text(), "Cancelled by "+by+" before batch 2")
	})
	for _, want := range []string{"**batch 1** done", "**batch 2** untouched", "**batch 3** untouched"} {
		if !strings.Contains(final.Msg.Text(), want) {
			t.Errorf("summary without %q: %s", want, final.Msg.Text())
		}
	}
}

// TestApprovedRollProgress approves a rolling restart with the button: the
// request itself shows the roll's progress, then the decision and result.
func TestApprovedRollProgress(t *testing.T) {
	h := newHarness(t)
	r := rolltest.New(2)
	h.b.roll.Store(r)
	req := h.command(olga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"}).msg(t)
	if len(req.Buttons()) != 2 {
		t.Fatalf("approval request: %s", req.Text())
	}
	seq := h.fake.Seq()
	click := discordfake.Click(appID, guild, channel, bob, "600000000000000001", req.Buttons()[0].CustomID)
	if a := h.interact(click); a.Type != 6 {
		t.Fatalf("an approved roll's click is answered with type %d, want 6 (the message is updated later): %s", a.Type, a.Data)
	}
	running := h.wait(seq, "the request showing batch 1", func(c discordfake.Call) bool {
		return isEdit(c) && strings.Contains(c.Msg.Text(), "**batch 1** running")
	})
	if b := running.Msg.Buttons(); len(b) != 1 || b[0].Label != "Cancel" {
		t.Errorf("the request shows the roll without its Cancel button: %s", running.Msg.Text())
	}
	r.Next()
	r.Next()
	final := h.wait(seq, "the decision", func(c discordfake.Call) bool {
		return isEdit(c) && c.Token == running.Token && strings.Contains(c.Msg.Text(), "Decided by bob")
	})
	if !strings.Contains(final.Msg.Text(), "Rolled web on test") || !strings.Contains(final.Msg.Text(), "**batch 2** done") {
		t.Errorf("decision without the roll's result: %s", final.Msg.Text())
	}
}
