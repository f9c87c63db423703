package discord

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// notifyCopy matches an approval request posted in the notify channel.
func notifyCopy(c discordfake.Call) bool {
	return c.Method == http.MethodPost && c.Channel == notify && c.Err == "" && len(c.Msg.Buttons()) == 2
}

// TestNotifyCopyRetriedOn429: Discord answering 429 with retry_after
// delays the notify channel's copy of a request; it does not drop it
// (issue 14 item 9).
func TestNotifyCopyRetriedOn429(t *testing.T) {
	h := newHarness(t)
	h.fake.RateLimitNext("POST channels/"+notify+"/messages", maxRateLimitRetries, 200*time.Millisecond)
	seq := h.fake.Seq()
	a := h.command(olga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"})
	if len(a.msg(t).Buttons()) != 2 {
		t.Fatalf("restart by an operator: %s", a.msg(t).Text())
	}
	h.wait(seq, "the copy in the notify channel", notifyCopy)
	limited := 0
	for _, c := range h.fake.Calls(seq) {
		if strings.HasPrefix(c.Path, "channels/"+notify) && strings.HasPrefix(c.Err, "429") {
			limited++
		}
	}
	if limited != maxRateLimitRetries {
		t.Errorf("%d calls were rate-limited before the copy arrived, want %d", limited, maxRateLimitRetries)
	}
}

// TestRepeatedRequestPostsNoCopy: asking again for a pending request
// answers with it, without buttons, and posts nothing to the notify
// channel.
func TestRepeatedRequestPostsNoCopy(t *testing.T) {
	h := newHarness(t)
	seq := h.fake.Seq()
	first := h.command(olga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"}).msg(t)
	h.wait(seq, "the copy in the notify channel", notifyCopy)
	approve := first.Buttons()[0].CustomID
	id := strings.TrimPrefix(approve, "pv:ops approve ")

	again := h.command(olga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"}).msg(t)
	if len(again.Buttons()) != 0 || !strings.Contains(again.Text(), "already asked") || !strings.Contains(again.Text(), id) {
		t.Fatalf("asking again: %d buttons, %s", len(again.Buttons()), again.Text())
	}
	// The decision updates the copies; there must be just the one.
	since := h.fake.Seq()
	h.interact(discordfake.Click(appID, guild, channel, alice, "600000000000000001", approve))
	h.wait(since, "the notify copy updated", func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && c.Channel == notify
	})
	copies := 0
	for _, c := range h.fake.Calls(seq) {
		if notifyCopy(c) {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("%d copies in the notify channel, want 1", copies)
	}
}
