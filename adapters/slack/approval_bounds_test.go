package slack

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// TestApprovalCopiesRetriedOn429: Slack answering 429 delays an approval
// request's copies; it does not drop them (issue 14 item 9).
func TestApprovalCopiesRetriedOn429(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	h.fake.RateLimitNext("chat.postMessage", maxRateLimitRetries, 1)
	requestRestart(t, h) // both copies arrive, with their buttons
	if n := h.fake.Calls("chat.postMessage"); n != maxRateLimitRetries+2 {
		t.Errorf("%d chat.postMessage calls, want %d (the refused ones, then one per channel)", n, maxRateLimitRetries+2)
	}
}

// TestRepeatedRequestPostsNothing: asking again for a pending request
// answers with it and posts no new copy anywhere.
func TestRepeatedRequestPostsNothing(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	msg, _ := requestRestart(t, h)
	id := strings.TrimPrefix(msg.Buttons()[0].Value, "ops approve ")

	_, body, _ := h.slash(olga, "restart web")
	if r := decodeReply(t, body); !strings.Contains(r.Text, "already asked") || !strings.Contains(r.Text, id) {
		t.Fatalf("asking again: %+v", r)
	}
	// Deciding updates every copy; there must be just the two.
	since := h.fake.Seq()
	h.slash(alice, "ops approve "+id)
	for _, ch := range []string{notify, channel} {
		if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.Channel == ch }); err != nil {
			t.Fatal(err)
		}
	}
	posts := 0
	for _, m := range h.fake.Messages() {
		if m.Kind == "post" && len(m.Buttons()) > 0 {
			posts++
		}
	}
	if posts != 2 {
		t.Errorf("%d approval requests posted, want 2 (the channel and the notify channel, once)", posts)
	}
}

// TestDecisionUpdatesRetriedOn429: the copies of a decided request lose
// their buttons even when chat.update is rate-limited for a while.
func TestDecisionUpdatesRetriedOn429(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	msg, copyMsg := requestRestart(t, h)
	h.fake.RateLimitNext("chat.update", 2, 1)
	since := h.fake.Seq()
	h.click(alice, copyMsg, actionApprove, "1.3")
	for _, m := range []slackfake.Message{msg, copyMsg} {
		up, err := h.fake.Wait(wait, since, func(u slackfake.Message) bool { return u.Kind == "update" && u.Channel == m.Channel })
		if err != nil {
			t.Fatal(err)
		}
		if len(up.Buttons()) != 0 {
			t.Errorf("%s keeps its buttons: %s", m.Channel, up.All())
		}
	}
}
