package fleet

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestHostsListsProblemsFirstAndFiltersByState: /ops hosts puts a host
// that does not answer first, and --state keeps one state.
func TestHostsListsProblemsFirstAndFiltersByState(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	e.cancel["web-02"]()
	res := e.run(operator, "ops hosts")
	if res.Status != ops.StatusOK {
		t.Fatalf("ops hosts: %s %s", res.Status, res.Message)
	}
	lines := strings.Split(res.Message, "\n")
	if !strings.HasPrefix(lines[0], "2 of 3 hosts answer; 2 ok, 0 unhealthy, 1 unreachable.") ||
		len(lines) < 3 || !strings.HasPrefix(strings.TrimSpace(lines[2]), "web-02") {
		t.Fatalf("ops hosts, unreachable first:\n%s", res.Message)
	}
	for _, tc := range []struct{ state, want, not string }{
		{"unreachable", "web-02", "worker-01"},
		{"problem", "web-02", "web-01"},
		{"ok", "worker-01", "web-02"},
	} {
		res := e.run(operator, "ops hosts --state "+tc.state)
		if res.Status != ops.StatusOK || !strings.Contains(res.Message, tc.want) || strings.Contains(res.Message, tc.not+" ") {
			t.Errorf("--state %s: %s\n%s", tc.state, res.Status, res.Message)
		}
	}
	if res := e.run(operator, "ops hosts --state sideways"); res.Status != ops.StatusInvalid {
		t.Errorf("--state sideways: %s %s", res.Status, res.Message)
	}
}
