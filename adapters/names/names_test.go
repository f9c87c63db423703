package names

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// status answers `supervisor status` with a program of two processes and
// a lone one, counting the runs; anyone else is denied.
type status struct{ runs int }

func (s *status) Run(_ context.Context, actor ops.Actor, text string) ops.Result {
	s.runs++
	if actor.ID != "alice" || text != "supervisor status" {
		return ops.Result{Status: ops.StatusDenied}
	}
	return ops.Result{Status: ops.StatusOK, Data: map[string]any{"programs": []map[string]any{
		{"name": "queue_00", "group": "queue"}, {"name": "queue_01", "group": "queue"}, {"name": "web", "group": "web"},
	}}}
}

func TestProcesses(t *testing.T) {
	run := &status{}
	got := Processes(context.Background(), run, ops.Actor{ID: "alice"}, "")
	if want := []string{"queue:*", "queue_00", "queue_01", "web"}; !slices.Equal(got, want) {
		t.Errorf("alice: %q, want %q", got, want)
	}
	if got := Processes(context.Background(), run, ops.Actor{ID: "mallory"}, ""); got != nil {
		t.Errorf("denied: %q", got)
	}
}

// TestCacheServesABurst: one read serves the keystrokes of TTL; then the
// list is read again.
func TestCacheServesABurst(t *testing.T) {
	now := time.Unix(0, 0)
	c := NewCache(func() time.Time { return now })
	run := &status{}
	load := func() []string { return Processes(context.Background(), run, ops.Actor{ID: "alice"}, "") }
	for range 5 {
		c.Get("alice programs", load)
	}
	if run.runs != 1 {
		t.Fatalf("%d reads for a burst", run.runs)
	}
	now = now.Add(TTL + time.Second)
	if got := c.Get("alice programs", load); run.runs != 2 || len(got) != 4 {
		t.Errorf("after TTL: %d reads, %q", run.runs, got)
	}
}
