package authz

import (
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestAllowed(t *testing.T) {
	p := New(map[string][]string{
		"viewer":   {"supervisor.program.list", "ops.whoami"},
		"operator": {"viewer", "supervisor.program.start", "fpm.pool.*"},
		"admin":    {"*"},
		"loop-a":   {"loop-b", "ops.audit"},
		"loop-b":   {"loop-a"},
	}, []Binding{
		{Role: "admin", Users: map[string][]string{"local": []string{"root"}, "slack": []string{"UADMIN"}}},
		{Role: "operator", Groups: map[string][]string{"slack": []string{"SOPS"}, "discord": []string{"111"}}},
		{Role: "viewer", Users: map[string][]string{"local": []string{"alice"}, "discord": []string{"222"}}},
		{Role: "loop-b", Users: map[string][]string{"local": []string{"looper"}}},
	})
	local := func(id string) ops.Actor { return ops.Actor{Platform: "local", ID: id} }
	tests := []struct {
		name  string
		actor ops.Actor
		op    string
		want  bool
	}{
		{"admin wildcard", local("root"), "supervisor.program.delete", true},
		{"viewer reads", local("alice"), "supervisor.program.list", true},
		{"viewer cannot start", local("alice"), "supervisor.program.start", false},
		{"operator includes viewer", ops.Actor{Platform: "slack", ID: "U1", Groups: []string{"SOPS"}}, "ops.whoami", true},
		{"operator prefix wildcard", ops.Actor{Platform: "discord", ID: "9", Groups: []string{"111"}}, "fpm.pool.delete", true},
		{"prefix wildcard stops at its prefix", ops.Actor{Platform: "discord", ID: "9", Groups: []string{"111"}}, "fpm.service.restart", false},
		{"unbound user denied", local("mallory"), "ops.whoami", false},
		{"same id on another platform is another person", ops.Actor{Platform: "discord", ID: "root"}, "ops.whoami", false},
		{"display name never counts", ops.Actor{Platform: "slack", ID: "U999", Name: "UADMIN"}, "ops.whoami", false},
		{"slack group bound on discord does not apply", ops.Actor{Platform: "discord", ID: "5", Groups: []string{"SOPS"}}, "ops.whoami", false},
		{"inclusion cycle terminates", local("looper"), "ops.audit", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Allowed(tt.actor, tt.op); got != tt.want {
				t.Errorf("Allowed(%s, %s) = %v, want %v", tt.actor, tt.op, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, op string
		want        bool
	}{
		{"*", "anything", true},
		{"fpm.*", "fpm.pool.list", true},
		{"fpm.pool.*", "fpm.tune", false},
		{"fpm*", "fpm.pool.list", false}, // a wildcard only after a dot
		{"supervisor.program.list", "supervisor.program.list", true},
		{"supervisor.program.list", "supervisor.program.listx", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.op); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.op, got, tt.want)
		}
	}
}
