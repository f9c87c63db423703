package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestStatusAcrossAHundredAgents runs 100 agents in this process, each with
// its own NATS connection, and asks for `supervisor status --host all`:
// every host answers in one combined result. How long it takes is measured
// by `make bench` (poolvisor-bench), not asserted here; the figure is logged.
func TestStatusAcrossAHundredAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 100 agents")
	}
	hosts := make([]string, 100)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("node-%03d", i)
	}
	e := newFleet(t, hosts...)
	// On a busy machine some agents answer the discovery after Start has
	// stopped waiting for answers; they are heard all the same.
	var got []string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if got = e.hub.Hosts(context.Background()); len(got) == 100 || time.Now().After(deadline) {
			break
		}
	}
	if len(got) != 100 {
		t.Fatalf("the hub discovered %d hosts, want 100", len(got))
	}
	var took []time.Duration
	for range 5 {
		start := time.Now()
		res := e.run(operator, "supervisor status --host all")
		took = append(took, time.Since(start))
		if res.Status != ops.StatusOK {
			t.Fatalf("status: %s\n%s", res.Status, res.Message)
		}
		// A hundred hosts are more than a chat message shows: the message
		// summarises, and every host's answer is in the document.
		if res.Attachment == nil || !strings.Contains(res.Message, "100 of 100 hosts answered") {
			t.Fatalf("no summary and document across 100 hosts:\n%.1000s", res.Message)
		}
		if n := strings.Count(string(res.Attachment.Content), " programs"); n != 100 {
			t.Fatalf("%d host sections in the document, want 100", n)
		}
	}
	slices.Sort(took)
	t.Logf("--host all status across 100 agents: median %s (of %v)", took[len(took)/2], took)
}
