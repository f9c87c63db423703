package app_test

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestSoak runs a bounded mix of reads and writes against real daemons and
// checks that nothing leaks: goroutines, open files, heap. It is long, so it
// runs only with POOLVISOR_SOAK set (make soak); POOLVISOR_SOAK_OPS bounds
// the number of operations (default 1000).
func TestSoak(t *testing.T) {
	if os.Getenv("POOLVISOR_SOAK") == "" {
		t.Skip("set POOLVISOR_SOAK=1 (make soak) to run the soak test")
	}
	total := 1000
	if n, err := strconv.Atoi(os.Getenv("POOLVISOR_SOAK_OPS")); err == nil && n > 0 {
		total = n
	}
	e := newEnv(t, sandbox.Program{Name: "web", Command: loop("serving")}, sandbox.Program{Name: "queue", Command: loop("working"), NumProcs: 3})
	e.waitRunning("web", "queue:queue_00")
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	olga := ops.Actor{Platform: "local", ID: "olga"}
	mix := []string{"supervisor status", "supervisor show web", "supervisor logs web --bytes 200",
		"supervisor status queue:*", "ops whoami", "supervisor stop queue:queue_01", "supervisor start queue:queue_01"}

	sample := func() (goroutines, fds int, heapMB float64) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		entries, _ := os.ReadDir("/proc/self/fd")
		return runtime.NumGoroutine(), len(entries), float64(m.HeapAlloc) / (1 << 20)
	}
	warm := total / 10
	var g0, f0 int
	var h0 float64
	start := time.Now()
	for i := 0; i < total; i++ {
		text := mix[i%len(mix)]
		if res := a.Pipeline.Run(ctx, olga, text); res.Status != ops.StatusOK && res.Status != ops.StatusInvalid {
			t.Fatalf("op %d %q: %s %s", i, text, res.Status, res.Message)
		}
		if i == warm {
			g0, f0, h0 = sample()
		}
	}
	g1, f1, h1 := sample()
	t.Logf("%d operations in %s: goroutines %d -> %d, open files %d -> %d, heap %.1f -> %.1f MB",
		total, time.Since(start).Round(time.Millisecond), g0, g1, f0, f1, h0, h1)
	if g1 > g0+10 {
		t.Errorf("goroutines grew from %d to %d", g0, g1)
	}
	if f1 > f0+10 {
		t.Errorf("open files grew from %d to %d", f0, f1)
	}
	if h1 > h0*2+16 {
		t.Errorf("heap grew from %.1f to %.1f MB", h0, h1)
	}
}
