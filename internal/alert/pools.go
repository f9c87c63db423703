package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// PoolWatch remembers the last figures of each pool, to alert when a pool
// runs out of workers: max children reached grows, or requests wait in the
// listen queue in two samples running.
type PoolWatch struct {
	// Detail, when set, says what to do about a pool whose trouble opens
	// an alert (see PoolDetail). It runs on the caller of Pools, never on
	// the engine's queues, within DetailTimeout; it reports its own
	// failure in AdviceError, since the alert goes out regardless.
	Detail func(ctx context.Context, pool string) PoolDetail

	last    map[string]ops.PoolFigures
	queued  map[string]bool
	timeout time.Duration // DetailTimeout when 0; tests shorten it
}

// NewPoolWatch returns an empty PoolWatch.
func NewPoolWatch() *PoolWatch {
	return &PoolWatch{last: map[string]ops.PoolFigures{}, queued: map[string]bool{}}
}

// Pools looks at one sample of php-fpm's status and raises, updates or
// resolves each pool's saturation alert: a pool with no trouble for
// StableAfter recovers. Pools without a status page are not watched. A
// trouble that opens an alert gets w.Detail first, here, on the caller's
// goroutine: the engine's queues are never held up by it.
func (e *Engine) Pools(ctx context.Context, w *PoolWatch, st ops.FPMStatus) {
	for _, p := range st.Pools {
		if p.Figures == nil {
			continue
		}
		f := *p.Figures
		prev, seen := w.last[p.Name]
		w.last[p.Name] = f
		key := "pool:" + p.Name
		if e.muted(p.Name, p.Name) {
			continue
		}
		var problem string
		switch {
		case seen && f.MaxChildrenReached > prev.MaxChildrenReached:
			problem = fmt.Sprintf("SATURATED: max children reached %d times (+%d), %d of %d workers active",
				f.MaxChildrenReached, f.MaxChildrenReached-prev.MaxChildrenReached, f.ActiveProcesses, f.TotalProcesses)
		case f.ListenQueue > 0 && w.queued[p.Name]:
			problem = fmt.Sprintf("QUEUEING: %d requests wait in the listen queue", f.ListenQueue)
		}
		w.queued[p.Name] = f.ListenQueue > 0
		now := e.now()
		if problem == "" {
			e.enqueue(key, func() { e.calm(ctx, key, "no longer short of workers") })
			continue
		}
		a := Alert{Kind: KindPool, Program: p.Name, State: problem, Action: "fpm tune " + p.Name, ActionLabel: "Sizing advice"}
		if e.incident(key) == nil { // this trouble opens the alert
			a.Pool = w.detail(ctx, p.Name)
		}
		e.enqueue(key, func() { e.trouble(ctx, key, a, now) })
	}
}
