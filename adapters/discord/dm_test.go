package discord

import (
	"context"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// TestDirectMessage: a direct message goes to the user's DM channel
// (POST users/@me/channels, then the channel's messages), with its text
// escaped and mentions off, and a button whose click in the DM (a user,
// no member, no guild) runs its command as the clicker, here a request
// that waits for approval and is posted for approvers.
func TestDirectMessage(t *testing.T) {
	h := newHarness(t)
	seq := h.fake.Seq()
	err := h.a.DirectMessage(context.Background(), alice.ID, chat.Direct{
		Text: "You hold the role operator until 12:00 UTC. Reason: @everyone *now*.", Action: "supervisor restart web", ActionLabel: "Ask for more time"})
	if err != nil {
		t.Fatal(err)
	}
	dmChannel := "dm-" + alice.ID
	h.wait(seq, "the DM channel", func(c discordfake.Call) bool { return c.Path == "users/@me/channels" && c.Method == "POST" })
	dm := h.wait(seq, "the direct message", func(c discordfake.Call) bool { return c.Channel == dmChannel })
	if text := dm.Msg.Text(); !strings.Contains(text, "You hold the role operator") || strings.Contains(text, "*now*") {
		t.Errorf("the message is not escaped: %s", text)
	}
	if !strings.Contains(string(dm.Body), `"allowed_mentions":{"parse":[]`) {
		t.Errorf("the message allows mentions: %s", dm.Body)
	}
	buttons := dm.Msg.Buttons()
	if len(buttons) != 1 || buttons[0].Label != "Ask for more time" || buttons[0].CustomID != buttonPrefix+"supervisor restart web" {
		t.Fatalf("buttons %+v", buttons)
	}

	click := discordfake.Click(appID, guild, dmChannel, alice, "600000000000000009", buttons[0].CustomID)
	delete(click, "guild_id")
	delete(click, "member")
	click["user"] = map[string]any{"id": alice.ID, "username": alice.Name}
	seq = h.fake.Seq()
	h.interact(click)
	h.wait(seq, "the request in the notify channel", func(c discordfake.Call) bool {
		return c.Channel == notify && strings.Contains(c.Msg.Text(), "restart") && len(c.Msg.Buttons()) > 0
	})
}
