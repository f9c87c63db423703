package config

import (
	"regexp"
	"sync"
)

// Identity is how one surface (a chat platform, or the shell) names people
// and groups in rbac: its key in rbac.people, the keys of its lists in a
// binding, and what an immutable ID looks like there. A platform's whole
// say in RBAC is its line in Identities.
type Identity struct {
	Platform  string // the actor's platform, and its key in rbac.people
	UsersKey  string // the binding key of user IDs
	GroupsKey string // the binding key of group IDs; "" when it has no groups
	User      func(string) bool
	Group     func(string) bool
	UserHint  string // what a user ID looks like, for errors
	GroupHint string
}

// Identities are the surfaces whose IDs bindings and people list.
var Identities = []Identity{
	{Platform: "slack", UsersKey: "slack_users", GroupsKey: "slack_usergroups",
		User: matches(slackUserRE), Group: matches(slackUsergroupRE),
		UserHint: "a Slack user ID (like U012ABCDEF)", GroupHint: "a Slack user group ID (like S0614TZR7)"},
	{Platform: "discord", UsersKey: "discord_users", GroupsKey: "discord_roles",
		User: isSnowflake, Group: isSnowflake,
		UserHint: "a Discord user ID (a number like 80351110224678912)", GroupHint: "a Discord role ID (a number like 41771983423143936)"},
	{Platform: "mattermost", UsersKey: "mattermost_users", GroupsKey: "mattermost_groups",
		User: matches(mattermostIDRE), Group: matches(mattermostIDRE),
		UserHint: "a Mattermost user ID (26 lower-case letters and digits)", GroupHint: "a Mattermost group ID (26 lower-case letters and digits)"},
	// Local users and groups are unix names: the socket learns them from
	// the kernel (the connecting process's uid and groups).
	{Platform: "local", UsersKey: "local_users", GroupsKey: "local_groups",
		User: matches(localNameRE), Group: matches(localNameRE),
		UserHint: "a local user name (like alice)", GroupHint: "a local group name (like ops)"},
}

var (
	slackUserRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`) })
	slackUsergroupRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^S[A-Z0-9]{2,}$`) })
	localNameRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`) })
)

// matches returns a check against the regexp re returns, compiled at its
// first use, not when the package loads: exec and console import config
// and should start fast.
func matches(re func() *regexp.Regexp) func(string) bool {
	return func(s string) bool { return re().MatchString(s) }
}

// Users returns the user IDs b binds on platform.
func (b Binding) Users(platform string) []string {
	for _, id := range Identities {
		if id.Platform == platform {
			return b.Members[id.UsersKey]
		}
	}
	return nil
}

// Groups returns the group IDs b binds on platform.
func (b Binding) Groups(platform string) []string {
	for _, id := range Identities {
		if id.Platform == platform && id.GroupsKey != "" {
			return b.Members[id.GroupsKey]
		}
	}
	return nil
}
