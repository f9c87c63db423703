package mattermost

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestDirectMessage: a direct message goes to the direct channel between
// the bot (users/me) and the user (channels/direct), escaped, with a
// button signed for that channel whose click runs its command as the
// clicker.
func TestDirectMessage(t *testing.T) {
	h := newHarness(t, func(_ ops.Actor, text string) ops.Result {
		return ops.Result{Operation: "ops.extend", Status: ops.StatusOK, Message: "ran " + text}
	})
	since := h.fake.Seq()
	err := h.a.DirectMessage(context.Background(), alice.ID, chat.Direct{
		Text: "You hold the role operator. Reason: @all *now*.", Action: "ops extend gabc234", ActionLabel: "Ask for more time"})
	if err != nil {
		t.Fatal(err)
	}
	dm := mmfake.DirectChannel(alice.ID)
	p := h.waitPost(since, "the direct message", func(p mmfake.Post) bool { return p.ChannelID == dm })
	if strings.Contains(p.Message, "@all") || strings.Contains(p.Message, "*now*") || !strings.Contains(p.Message, "You hold the role operator") {
		t.Errorf("the message is not escaped: %q", p.Message)
	}
	if !slices.Equal(p.Buttons(), []string{"Ask for more time"}) {
		t.Fatalf("buttons %v", p.Buttons())
	}
	if _, err := h.fake.Click(p, "Ask for more time", alice); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(wait); !slices.Contains(h.run.calls(), "ops extend gabc234"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the click did not run its command: %v", h.run.calls())
		}
	}
	h.run.mu.Lock()
	by := h.run.by[len(h.run.by)-1]
	h.run.mu.Unlock()
	if by.Platform != "mattermost" || by.ID != alice.ID || by.Channel != dm {
		t.Errorf("the click ran as %+v", by)
	}
}
