package alert

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// details is a Notifier that keeps the detail of each alert posted.
type details struct {
	mu     sync.Mutex
	posted []*PoolDetail
}

func (r *details) PostAlert(_ context.Context, a Alert) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posted = append(r.posted, a.Pool)
	return fmt.Sprint("ref-", len(r.posted)), nil
}
func (r *details) UpdateAlert(context.Context, string, Alert) error  { return nil }
func (r *details) PostRecovery(context.Context, string, Alert) error { return nil }
func (r *details) snapshot() []*PoolDetail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*PoolDetail(nil), r.posted...)
}

func saturated(reached int64) ops.FPMStatus {
	return ops.FPMStatus{Pools: []ops.PoolStatus{{Name: "shop",
		Figures: &ops.PoolFigures{MaxChildrenReached: reached, ActiveProcesses: 1, TotalProcesses: 1}}}}
}

// TestPoolDetailWhenTheAlertOpens: the detail is asked once, when a
// trouble opens the alert, and is what the alert carries; later troubles
// of the same alert do not ask again.
func TestPoolDetailWhenTheAlertOpens(t *testing.T) {
	r := &details{}
	e := New("web-01", fastRules(), map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
	w := NewPoolWatch()
	var asked atomic.Int32
	w.Detail = func(_ context.Context, pool string) PoolDetail {
		asked.Add(1)
		return PoolDetail{Pool: pool, Advice: &ops.PoolTune{Name: pool, CurrentMaxChildren: 1, AdvisedMaxChildren: 3}, Apply: "fpm tune shop --apply"}
	}
	ctx := context.Background()
	e.Pools(ctx, w, saturated(0))
	e.Pools(ctx, w, saturated(1))
	waitFor(t, "the post", func() bool { return len(r.snapshot()) == 1 })
	waitFor(t, "the engine idle", e.Idle)
	e.Pools(ctx, w, saturated(2))
	waitFor(t, "the engine idle", e.Idle)
	if n := asked.Load(); n != 1 {
		t.Errorf("detail asked %d times, want once", n)
	}
	d := r.snapshot()[0]
	if d == nil || d.Advice == nil || d.Advice.AdvisedMaxChildren != 3 || d.Apply != "fpm tune shop --apply" || !d.Changes() {
		t.Fatalf("posted detail %+v", d)
	}
}

// TestPoolDetailTimesOut: a detail that does not come back in time is cut
// short, and the alert goes out saying why there is no advice.
func TestPoolDetailTimesOut(t *testing.T) {
	r := &details{}
	e := New("web-01", fastRules(), map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
	w := NewPoolWatch()
	w.timeout = 50 * time.Millisecond
	w.Detail = func(ctx context.Context, pool string) PoolDetail {
		<-ctx.Done() // a status page that never answers
		return PoolDetail{Pool: pool}
	}
	ctx := context.Background()
	e.Pools(ctx, w, saturated(0))
	e.Pools(ctx, w, saturated(1))
	waitFor(t, "the post", func() bool { return len(r.snapshot()) == 1 })
	d := r.snapshot()[0]
	if d == nil || d.Advice != nil || d.AdviceError != "the advice took longer than 50ms" || d.Apply != "" {
		t.Fatalf("posted detail %+v", d)
	}
}
