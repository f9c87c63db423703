package config

import (
	"testing"
)

func TestRBACAccepted(t *testing.T) {
	tests := []struct {
		name string
		yaml string
	}{
		{"default roles", ""},
		{"role inclusion", "rbac:\n  roles:\n    viewer: [ops.help]\n    operator: [viewer, fpm.service.reload]\n    admin: [operator, '*']\n"},
		{"inclusion chain in any order", "rbac:\n  roles:\n    a: [b]\n    b: [c]\n    c: [ops.help]\n    admin: [a]\n"},
		{"diamond inclusion is no cycle", "rbac:\n  roles:\n    base: [ops.help]\n    x: [base]\n    y: [base]\n    admin: [x, y]\n"},
		{"wildcards", "rbac:\n  roles:\n    admin: ['*']\n    sup: [supervisor.*]\n    pools: [fpm.pool.*, fpm.*, supervisor.program.*, ops.*]\n"},
		{"empty role", "rbac:\n  roles:\n    admin: ['*']\n    nobody: []\n"},
		{"bindings of every kind", "rbac:\n  bindings:\n" +
			"    - role: admin\n      slack_users: [U012ABCDEF, W012ABCDEF]\n      discord_users: ['80351110224678912']\n      local_users: [root, deploy-bot, 'svc$']\n" +
			"    - role: operator\n      slack_usergroups: [S0614TZR7]\n      discord_roles: [41771983423143936]\n" +
			"    - role: viewer\n      mattermost_users: [4xp9fdt8pbbjmk8zbu5rbbr7yh]\n      mattermost_groups: [kfq8m5ynotdpxxgbz7u9obg5ec]\n" +
			"  people:\n    alice: {mattermost: [4xp9fdt8pbbjmk8zbu5rbbr7yh], local: [alice]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			if _, err := load(t, tt.yaml); err != nil {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}

func TestRBACRejected(t *testing.T) {
	roles := func(body string) string { return "rbac:\n  roles:\n    admin: ['*']\n" + body }
	binding := func(body string) string { return "rbac:\n  bindings:\n    - role: admin\n" + body }
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown operation", roles("    x: [fpm.pool.lst]\n"), []string{`config: rbac.roles.x[0]: unknown operation "fpm.pool.lst"`}},
		{"wildcard matching nothing", roles("    x: [nginx.*]\n"), []string{`config: rbac.roles.x[0]: wildcard "nginx.*" matches no operation`}},
		{"wildcard inside a name segment", roles("    x: [fpm.po.*]\n"), []string{"rbac.roles.x[0]"}},
		{"unknown role", roles("    x: [viewr]\n"), []string{`config: rbac.roles.x[0]: "viewr" is neither an operation nor a role`}},
		{"self inclusion", roles("    x: [x]\n"), []string{"config: rbac.roles.x: roles include each other in a cycle: x -> x"}},
		{"cycle", roles("    a: [b]\n    b: [c]\n    c: [a]\n"), []string{"config: rbac.roles.a: roles include each other in a cycle: a -> b -> c -> a"}},
		{"bad role name", roles("    'a.b': [ops.help]\n"), []string{"config: rbac.roles.a.b: role names use"}},
		{"binding without role", "rbac:\n  bindings:\n    - local_users: [root]\n", []string{"config: rbac.bindings[0].role: is required"}},
		{"binding to unknown role", "rbac:\n  bindings:\n    - role: boss\n      local_users: [root]\n", []string{`config: rbac.bindings[0].role: unknown role "boss"`}},
		{"binding nobody", binding(""), []string{"config: rbac.bindings[0]: binds nobody"}},
		{"slack display name", binding("      slack_users: ['@alice']\n"),
			[]string{`config: rbac.bindings[0].slack_users[0]: "@alice" is not a Slack user ID`, "IDs"}},
		{"slack plain name", binding("      slack_users: [alice]\n"), []string{"rbac.bindings[0].slack_users[0]", "immutable IDs, not display names"}},
		{"slack lower-case id", binding("      slack_users: [u012abcdef]\n"), []string{"rbac.bindings[0].slack_users[0]"}},
		{"slack user as usergroup", binding("      slack_usergroups: [U012ABCDEF]\n"), []string{"rbac.bindings[0].slack_usergroups[0]"}},
		{"slack usergroup handle", binding("      slack_usergroups: ['@ops-team']\n"), []string{"rbac.bindings[0].slack_usergroups[0]", "IDs"}},
		{"discord user name", binding("      discord_users: ['alice#1234']\n"), []string{"rbac.bindings[0].discord_users[0]", "IDs"}},
		{"discord role name", binding("      discord_roles: ['@moderators']\n"), []string{"rbac.bindings[0].discord_roles[0]", "IDs"}},
		{"mattermost user name", binding("      mattermost_users: ['@alice']\n"), []string{"rbac.bindings[0].mattermost_users[0]", "Mattermost user ID"}},
		{"mattermost upper-case id", binding("      mattermost_users: [4XP9FDT8PBBJMK8ZBU5RBBR7YH]\n"), []string{"rbac.bindings[0].mattermost_users[0]"}},
		{"mattermost group name", binding("      mattermost_groups: [developers]\n"), []string{"rbac.bindings[0].mattermost_groups[0]", "Mattermost group ID"}},
		{"mattermost person by name", "rbac:\n  people:\n    alice: {mattermost: [alice]}\n", []string{"rbac.people.alice.mattermost[0]"}},
		{"local user with spaces", binding("      local_users: ['Alice Smith']\n"), []string{"rbac.bindings[0].local_users[0]"}},
		{"person by display name", "rbac:\n  people:\n    alice: {slack: ['@alice']}\n", []string{`config: rbac.people.alice.slack[0]: "@alice" is not a Slack user ID`}},
		{"person with no identity", "rbac:\n  people:\n    alice: {}\n", []string{"config: rbac.people.alice: lists no identity"}},
		{"identity of two people", "rbac:\n  people:\n    alice: {local: [ops]}\n    bob: {local: [ops]}\n",
			[]string{"config: rbac.people.bob.local: ops is also listed for alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			_, err := load(t, tt.yaml)
			wantError(t, err, tt.want...)
		})
	}
}

func TestFindCycles(t *testing.T) {
	includes := map[string][]string{"a": {"b"}, "b": {"a"}, "c": {"c"}, "d": {"a"}}
	got := findCycles([]string{"a", "b", "c", "d"}, includes)
	if len(got) != 2 {
		t.Fatalf("findCycles = %v, want two cycles, each once", got)
	}
}
