package authz

import (
	"log/slog"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestGrants(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	deadline := now.Add(time.Minute)
	active := func(at time.Time) ([]Temporary, error) {
		if !at.Before(deadline) {
			return nil, nil
		}
		return []Temporary{
			{ID: "g1", Who: "local:vic", Role: "operator"},
			{ID: "g2", Who: "alice", Role: "operator"},
			{ID: "g3", Who: "local:olga", Role: "admin", BreakGlass: true},
		}, nil
	}
	clock := now
	p := New(map[string][]string{
		"viewer":   {"supervisor.program.list"},
		"operator": {"viewer", "supervisor.program.start", "fpm.pool.*"},
		"admin":    {"*"},
	}, []Binding{{Role: "viewer", Users: map[string][]string{"local": []string{"vic"}}}, {Role: "operator", Users: map[string][]string{"local": []string{"olga"}}}}).
		WithPeople(map[string]Person{"alice": {"slack": []string{"UALICE"}}}).
		WithGrants(active, func() time.Time { return clock }, slog.New(slog.DiscardHandler))
	vic := ops.Actor{Platform: "local", ID: "vic"}
	alice := ops.Actor{Platform: "slack", ID: "UALICE"}
	olga := ops.Actor{Platform: "local", ID: "olga"}

	if !p.Allowed(vic, "supervisor.program.start") || !p.Allowed(alice, "fpm.pool.edit") {
		t.Error("an active grant does not give its role (to an identity, to a person)")
	}
	if got := p.BreakGlass(olga, "supervisor.program.start"); got != "" {
		t.Errorf("olga's own role allows start, yet the decision is said to rest on break-glass %q", got)
	}
	if got := p.BreakGlass(olga, "supervisor.program.delete"); got != "g3" {
		t.Errorf("BreakGlass(olga, delete) = %q, want g3", got)
	}
	if p.Covers(olga, "admin") || !p.Covers(olga, "viewer") || !p.Covers(olga, "operator") {
		t.Error("Covers must judge by the roles bound to olga, not by her break-glass session")
	}
	clock = deadline
	if p.Allowed(vic, "supervisor.program.start") || p.Allowed(olga, "supervisor.program.delete") {
		t.Error("a grant still counts at its deadline")
	}
	if !p.Allowed(vic, "supervisor.program.list") {
		t.Error("the bound role is lost with the grant")
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		held, want string
		ok         bool
	}{
		{"*", "*", true},
		{"fpm.*", "*", false},
		{"fpm.*", "fpm.pool.*", true},
		{"fpm.pool.*", "fpm.*", false},
		{"fpm.pool.list", "fpm.pool.list", true},
		{"fpm.pool.list", "fpm.pool.*", false},
	}
	for _, tt := range tests {
		if got := covers(tt.held, tt.want); got != tt.ok {
			t.Errorf("covers(%q, %q) = %v, want %v", tt.held, tt.want, got, tt.ok)
		}
	}
}
