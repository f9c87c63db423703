package ops_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestApprovalUnderBreakGlassIsTagged: deciding takes the permission
// ops.approve and an approver role. Where a bound role gives the
// permission (here viewer's ops.*) and only a break-glass session gives
// the approver role, the decision rests on the session all the same, and
// its audit entry says so.
func TestApprovalUnderBreakGlassIsTagged(t *testing.T) {
	f := newFixture(t)
	f.authz.Policy = f.authz.Policy.WithGrants(func(time.Time) ([]authz.Temporary, error) {
		return []authz.Temporary{{ID: "bg1", Who: "local:olga", Role: "admin", BreakGlass: true}}, nil
	}, time.Now, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	req := f.p.Run(ctx, bob, "supervisor restart web")
	if req.Status != ops.StatusPending {
		t.Fatalf("request: %s %s", req.Status, req.Message)
	}
	if r := f.p.Run(ctx, olga, "ops approve "+req.ApprovalID); r.Status != ops.StatusOK {
		t.Fatalf("approve: %s %s", r.Status, r.Message)
	}
	entries, err := f.trail.Recent(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Operation != "ops.approve" {
			continue
		}
		for _, a := range e.Args {
			if a.Key == ops.BreakGlassArg && a.Value == "bg1" {
				return
			}
		}
		t.Fatalf("olga's decision, an approver only through break-glass bg1, is not tagged: %+v", e)
	}
	t.Fatalf("no ops.approve entry in %+v", entries)
}

// TestWriteThroughAFreezeUnderBreakGlassIsTagged: a freeze lets approvers
// write. Where the write's permission is bound and only a break-glass
// session makes the writer an approver, the write passed the freeze
// through the session, and its audit entry says so.
func TestWriteThroughAFreezeUnderBreakGlassIsTagged(t *testing.T) {
	f := newFixture(t)
	f.authz.Policy = f.authz.Policy.WithGrants(func(time.Time) ([]authz.Temporary, error) {
		return []authz.Temporary{{ID: "bg1", Who: "local:olga", Role: "admin", BreakGlass: true}}, nil
	}, time.Now, slog.New(slog.DiscardHandler))
	frozen := "writes on web-01 are frozen by a maintenance window"
	p := ops.New(ops.Config{
		Host: "web-01", Parser: command.Parser{}, Authz: f.authz, Approvals: f.store, Audit: f.trail,
		Policy:   ops.ApprovalPolicy{ApproverRoles: []string{"admin"}, TTL: 15 * time.Minute},
		Handlers: map[string]ops.Handler{"supervisor.program.stop": f.h},
		Frozen:   func(context.Context, string) (string, error) { return frozen, nil },
		Now:      func() time.Time { return *f.now.Load() },
	})
	ctx := context.Background()
	for _, c := range []struct {
		who    ops.Actor
		status ops.Status
		tag    string
	}{{olga, ops.StatusOK, "bg1"}, {alice, ops.StatusOK, ""}} {
		if r := p.Run(ctx, c.who, "supervisor stop web"); r.Status != c.status {
			t.Fatalf("%s: %s %s", c.who, r.Status, r.Message)
		}
		entries, err := f.trail.Recent(ctx, 1)
		if err != nil || len(entries) != 1 {
			t.Fatal(entries, err)
		}
		tag := ""
		for _, a := range entries[0].Args {
			if a.Key == ops.BreakGlassArg {
				tag = a.Value
			}
		}
		if tag != c.tag {
			t.Errorf("%s's stop through the freeze: breakglass=%q, want %q (%+v)", c.who, tag, c.tag, entries[0])
		}
	}
}
