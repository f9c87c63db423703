package command

import (
	"regexp"
	"strings"
	"sync"
)

var (
	roleNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })
	// whoRE is a person's name or platform:id; what the ID must look like
	// on each platform is config's to know, and an unknown one is refused
	// when the grant is planned.
	whoRE = sync.OnceValue(func() *regexp.Regexp { // the platform is checked by the grant
		return regexp.MustCompile(`^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63}|[a-z]+:[A-Za-z0-9_][A-Za-z0-9_.$-]{0,63})$`)
	})
	// Slack writes a mention <@U012AB> or <@U012AB|name>; Discord <@123>
	// or <@!123>. Slack's user IDs start with U or W, Discord's are
	// numbers, so a mention says which platform it is of wherever it was
	// typed.
	slackMentionRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^<@([UW][A-Z0-9]+)(\|[^>]*)?>$`) })
	discordMentionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^<@!?([0-9]+)>$`) })
)

// Who returns v, a WHO of /ops grant, as the identity it names: a chat
// mention becomes slack:ID or discord:ID; anything else is kept as typed
// (a person of rbac.people, or PLATFORM:ID). Every surface's text passes
// through here, so mentions are normalized once.
func Who(v string) string {
	if m := slackMentionRE().FindStringSubmatch(v); m != nil {
		return "slack:" + m[1]
	}
	if m := discordMentionRE().FindStringSubmatch(v); m != nil {
		return "discord:" + m[1]
	}
	return strings.TrimSpace(v)
}
