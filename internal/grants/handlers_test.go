package grants

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestGrantOfAnApproverRole: what makes someone an approver is the name of
// a role (approvals.approver_roles), not its permissions, so a role may
// carry approving with few permissions or none. Covers alone would let a
// lead who may grant hand it out (to a friend, or to another identity of
// their own) and so make approvers; only someone bound to an approver
// role may grant one.
func TestGrantOfAnApproverRole(t *testing.T) {
	ctx := context.Background()
	store, db := openStore(t, t.TempDir())
	defer db.Close()
	p := authz.New(map[string][]string{
		"viewer":   {"ops.grants"},
		"operator": {"viewer", "supervisor.program.start"},
		"lead":     {"operator", "ops.grant"},
		"approver": {"viewer"},
		"admin":    {"*"},
	}, []authz.Binding{
		{Role: "lead", Users: map[string][]string{"local": {"lena"}}},
		{Role: "approver", Users: map[string][]string{"local": {"april"}}},
		{Role: "admin", Users: map[string][]string{"local": {"root"}}},
	})
	h := Handlers(Config{Store: store, RBAC: p, Max: time.Hour, Approvers: []string{"admin", "approver"}, Platforms: []string{"local"}})["ops.grant"]
	grant := func(by, who, role string) error {
		op := ops.Operation{Name: "ops.grant", Target: who, Args: []ops.Arg{{Key: "role", Value: role}, {Key: "duration", Value: "1h"}}}
		_, err := h.Plan(ctx, ops.Request{Actor: ops.Actor{Platform: "local", ID: by}, Op: op})
		return err
	}
	var e *ops.Error
	for _, who := range []string{"local:vic", "local:lena"} {
		if err := grant("lena", who, "approver"); !errors.As(err, &e) || e.Status != ops.StatusDenied {
			t.Errorf("lena (lead) grants approver to %s: %v, want denied", who, err)
		}
	}
	if err := grant("lena", "local:vic", "operator"); err != nil {
		t.Errorf("lena grants operator: %v", err)
	}
	if err := grant("april", "local:vic", "approver"); err != nil {
		t.Errorf("april (approver) grants approver: %v", err)
	}
	if err := grant("root", "local:vic", "approver"); err != nil {
		t.Errorf("root (admin) grants approver: %v", err)
	}
}
