package ops_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/authz"
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
