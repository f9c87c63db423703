package ops_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestEveryOperationHasAnOwner: the catalog gives each operation to the
// core or to one backend, and an off backend answers for all it owns.
func TestEveryOperationHasAnOwner(t *testing.T) {
	owners := []string{ops.OwnerCore, ops.OwnerSupervisor, ops.OwnerFPM}
	var all []string
	for _, owner := range owners {
		all = append(all, ops.OwnedBy(owner)...)
	}
	slices.Sort(all)
	if !slices.Equal(all, ops.Names()) {
		t.Fatalf("owned operations %v, catalog %v", all, ops.Names())
	}
	for _, owner := range owners[1:] {
		t.Run(owner, func(t *testing.T) {
			off := ops.Off(owner, "off here")
			if off.Name() != owner || off.Health(context.Background()) != nil {
				t.Errorf("Off(%s): name %q, health %v", owner, off.Name(), off.Health(context.Background()))
			}
			hs := off.Handlers()
			if len(hs) != len(ops.OwnedBy(owner)) {
				t.Errorf("%d handlers for %d operations", len(hs), len(ops.OwnedBy(owner)))
			}
			for name, h := range hs {
				plan, err := h.Plan(context.Background(), ops.Request{Op: ops.Operation{Name: name}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := plan.Apply(context.Background()); err == nil || !strings.Contains(err.Error(), "off here") {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}
