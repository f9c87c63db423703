package app_test

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestGrantDMMattermostE2E: a grant to a Mattermost identity is told to
// its holder in the direct channel with the bot, reminded there, and the
// DM's button files an extension an approver approves.
func TestGrantDMMattermostE2E(t *testing.T) {
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	dm := mmfake.DirectChannel(mVic.ID)
	since := me.fake.Seq()
	me.slash(mAlice, "ops grant mattermost:"+mVic.ID+" operator 2m")
	req := me.wait(since, "the grant's approval request", func(p mmfake.Post) bool {
		return p.ChannelID == mmNotify && strings.Contains(p.Message, "Give mattermost:"+mVic.ID)
	})
	me.click(req, "Approve", mBob)
	start := me.wait(since, "the holder's direct message", func(p mmfake.Post) bool {
		return p.ChannelID == dm && strings.Contains(p.Message, "You hold the role operator")
	})
	me.wait(since, "the reminder", func(p mmfake.Post) bool {
		return p.ChannelID == dm && strings.Contains(p.Message, "of the role operator ends at")
	})
	since = me.fake.Seq()
	me.click(start, "Ask for more time", mVic)
	ext := me.wait(since, "the extension request", func(p mmfake.Post) bool {
		return p.ChannelID == mmNotify && strings.Contains(p.Message, "Extend grant")
	})
	me.click(ext, "Approve", mBob)
	me.wait(since, "the extension told", func(p mmfake.Post) bool {
		return p.ChannelID == dm && strings.Contains(p.Message, "extension of")
	})
}
