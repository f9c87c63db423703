package config

import "regexp"

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
		User: slackUserRE.MatchString, Group: slackUsergroupRE.MatchString,
		UserHint: "a Slack user ID (like U012ABCDEF)", GroupHint: "a Slack user group ID (like S0614TZR7)"},
	{Platform: "discord", UsersKey: "discord_users", GroupsKey: "discord_roles",
		User: isSnowflake, Group: isSnowflake,
		UserHint: "a Discord user ID (a number like 80351110224678912)", GroupHint: "a Discord role ID (a number like 41771983423143936)"},
	{Platform: "mattermost", UsersKey: "mattermost_users", GroupsKey: "mattermost_groups",
		User: mattermostIDRE.MatchString, Group: mattermostIDRE.MatchString,
		UserHint: "a Mattermost user ID (26 lower-case letters and digits)", GroupHint: "a Mattermost group ID (26 lower-case letters and digits)"},
	{Platform: "local", UsersKey: "local_users",
		User: localUserRE.MatchString, UserHint: "a local user name (like alice)"},
}

var (
	slackUserRE      = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackUsergroupRE = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	localUserRE      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`)
)

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
