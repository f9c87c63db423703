package background

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestWithinAnswersInTimeOrLate(t *testing.T) {
	g := New("test", slog.New(slog.DiscardHandler))
	res, ok := g.Within(time.Second, func(context.Context) ops.Result { return ops.Result{Message: "quick"} },
		func(context.Context, ops.Result) { t.Error("a quick result went late") })
	if !ok || res.Message != "quick" {
		t.Errorf("quick work: %v %v", res, ok)
	}
	late := make(chan string, 1)
	_, ok = g.Within(10*time.Millisecond, func(context.Context) ops.Result {
		time.Sleep(100 * time.Millisecond)
		return ops.Result{Message: "slow"}
	}, func(_ context.Context, r ops.Result) { late <- r.Message })
	if ok {
		t.Error("slow work answered in time")
	}
	if got := <-late; got != "slow" {
		t.Errorf("late result %q", got)
	}
	g.Drain(time.Second)
}

func TestDrainCancelsWhatIsLeft(t *testing.T) {
	g := New("test", slog.New(slog.DiscardHandler))
	cancelled := make(chan struct{})
	g.Go(func(ctx context.Context) {
		<-ctx.Done()
		close(cancelled)
	})
	g.Go(func(context.Context) { panic("logged, not fatal") })
	g.Drain(20 * time.Millisecond)
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Fatal("drain did not cancel the work left")
	}
}

// TestServeRunsTheConnectionThenDrains: Serve returns the connection's
// error once ctx ends, after the work in flight has finished.
func TestServeRunsTheConnectionThenDrains(t *testing.T) {
	g := New("test", slog.New(slog.DiscardHandler))
	finished := make(chan struct{})
	g.Go(func(context.Context) { close(finished) })
	ctx, cancel := context.WithCancel(t.Context())
	refused := errors.New("refused")
	err := g.Serve(ctx, func(ctx context.Context) error { cancel(); <-ctx.Done(); return refused })
	if !errors.Is(err, refused) {
		t.Errorf("Serve: %v, want the connection's error", err)
	}
	select {
	case <-finished:
	default:
		t.Error("Serve returned before the work in flight finished")
	}
}
