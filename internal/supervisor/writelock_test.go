package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestNoLostUpdate: writers that planned from the same file (two poolvisor
// processes, here two backends) are serialised, and the one that finds the
// file changed since it planned answers conflict and writes nothing, so
// every change that answered ok is in the file.
func TestNoLostUpdate(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd, Autostart: new(bool)})
	one, two := newBackend(t, s, 5*time.Second), newBackend(t, s, 5*time.Second)
	path := filepath.Join(s.ProgramDir, "web.conf")
	ctx := context.Background()
	plan := func(b *Backend, key string) *ops.Plan {
		t.Helper()
		p, err := b.Handlers()["supervisor.program.edit"].Plan(ctx, ops.Request{Op: ops.Operation{
			Name: "supervisor.program.edit", Target: "web", Args: []ops.Arg{{Key: "set", Value: key + "=7"}}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, second := plan(one, "startretries"), plan(two, "stopwaitsecs")
	if _, err := first.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	_, err := second.Apply(ctx)
	if msg := wantStatus(t, err, ops.StatusConflict); !strings.Contains(msg, "changed since this request was planned") {
		t.Errorf("message %q", msg)
	}
	if now, _ := os.ReadFile(path); string(now) != string(before) || !strings.Contains(string(now), "startretries=7") {
		t.Errorf("the conflicting write changed the file:\n%s", now)
	}

	// Many at once: each ends ok or conflict, and every ok is kept.
	var wg sync.WaitGroup
	keys := []string{"startsecs", "exitcodes", "priority", "stopsignal", "startretries"}
	values := []string{"3", "0,2", "990", "INT", "5"}
	ok := make([]bool, len(keys))
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			b := []*Backend{one, two}[i%2]
			_, err := run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "set", Value: keys[i] + "=" + values[i]})
			var e *ops.Error
			switch {
			case err == nil:
				ok[i] = true
			case errors.As(err, &e) && e.Status == ops.StatusConflict:
			default:
				t.Errorf("%s: %v", keys[i], err)
			}
		}(i)
	}
	wg.Wait()
	final, _ := os.ReadFile(path)
	for i, k := range keys {
		if ok[i] && !strings.Contains(string(final), fmt.Sprintf("%s=%s\n", k, values[i])) {
			t.Errorf("%s answered ok but is not in the file:\n%s", k, final)
		}
	}
}
