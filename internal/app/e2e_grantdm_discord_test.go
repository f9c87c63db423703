package app_test

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// dmCall matches a direct message to a Discord user that says what.
func dmCall(user, what string) func(discordfake.Call) bool {
	return func(c discordfake.Call) bool {
		return c.Channel == "dm-"+user && c.Method == "POST" && strings.Contains(c.Msg.Text(), what)
	}
}

// TestGrantDMDiscordE2E: a grant given in Discord to a mention is told to
// its holder in a DM (with the reminder at once, the grant being shorter
// than the lead), whose button, clicked in the DM, files an extension
// that an approver approves; the extension is told in turn.
func TestGrantDMDiscordE2E(t *testing.T) {
	de := newDiscordEnv(t, "http", sandbox.Program{Name: "web", Command: loop("serving")})
	seq := de.fake.Seq()
	req := de.command(dAlice, "ops", []string{"grant"}, discordfake.Opt{Name: "who", Value: "<@" + dVic.ID + ">"},
		discordfake.Opt{Name: "role", Value: "operator"}, discordfake.Opt{Name: "duration", Value: "2m"})
	if len(req.Msg.Buttons()) != 2 {
		t.Fatalf("the grant's approval request: %s", req.Msg.Text())
	}
	id, ok := strings.CutPrefix(req.Msg.Buttons()[0].CustomID, "pv:ops approve ")
	if !ok {
		t.Fatalf("the approve button: %+v", req.Msg.Buttons()[0])
	}
	de.want("alice", "ops approve "+id, "ok", 0) // another identity, another person
	start, err := de.fake.Wait(dWait, seq, dmCall(dVic.ID, "You hold the role operator"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := de.fake.Wait(dWait, seq, dmCall(dVic.ID, "of the role operator ends at")); err != nil {
		t.Fatal(err)
	}
	buttons := start.Msg.Buttons()
	if len(buttons) != 1 || !strings.HasPrefix(buttons[0].CustomID, "pv:ops extend g") {
		t.Fatalf("the DM's buttons: %+v", buttons)
	}
	grant := strings.TrimPrefix(buttons[0].CustomID, "pv:ops extend ")

	// vic clicks in the DM: no guild, no member, a user.
	click := discordfake.Click(dApp, dGuild, "dm-"+dVic.ID, dVic, "160000000000000009", buttons[0].CustomID)
	delete(click, "guild_id")
	delete(click, "member")
	click["user"] = map[string]any{"id": dVic.ID, "username": dVic.Name}
	seq = de.fake.Seq()
	de.interact(click)
	ext, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool {
		return c.Channel == dNotify && strings.Contains(c.Msg.Text(), "Extend grant "+grant) && len(c.Msg.Buttons()) == 2
	})
	if err != nil {
		t.Fatal(err)
	}
	extID := strings.TrimPrefix(ext.Msg.Buttons()[0].CustomID, "pv:ops approve ")
	de.want("alice", "ops approve "+extID, "ok", 0)
	if _, err := de.fake.Wait(dWait, seq, dmCall(dVic.ID, "extension of "+grant)); err != nil {
		t.Fatal(err)
	}
}
