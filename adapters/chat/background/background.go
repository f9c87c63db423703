// Package background runs a chat adapter's work apart from the request that
// caused it: chat platforms want an answer within seconds, the work may take
// longer, and a shutdown lets work in flight finish before it cancels it.
package background

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Group is the background work of one adapter.
type Group struct {
	name string // the platform, for log lines
	log  *slog.Logger
	base context.Context // ends after Drain
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New returns a Group whose log lines name the platform.
func New(platform string, log *slog.Logger) *Group {
	g := &Group{name: platform, log: log}
	g.base, g.stop = context.WithCancel(context.Background())
	return g
}

// Go runs f in the background with a context not tied to any request, so
// answering the platform never cuts the work short. A panic is logged.
func (g *Group) Go(f func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				g.log.Error(g.name+": background work panicked", "panic", r)
			}
		}()
		f(g.base)
	}()
}

// DrainTimeout bounds how long an adapter's shutdown waits for its work in
// flight.
const DrainTimeout = 20 * time.Second

// Serve runs conn, the platform's own connection (nil for a platform that
// only serves HTTP routes, whose handlers do the work), until ctx ends;
// then it lets work in flight finish (Drain, up to DrainTimeout) and
// returns conn's error.
func (g *Group) Serve(ctx context.Context, conn func(context.Context) error) error {
	var err error
	if conn != nil {
		err = conn(ctx)
	} else {
		<-ctx.Done()
	}
	g.Drain(DrainTimeout)
	return err
}

// Drain waits up to timeout for work in flight, then cancels what is left.
func (g *Group) Drain(timeout time.Duration) {
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		g.log.Warn(g.name + ": work still in flight at shutdown; cancelling it")
	}
	g.stop()
}

// Within runs work in the background and waits up to wait for it. It
// returns the result and true when it was ready in time; otherwise false,
// and late gets the result when it is.
func (g *Group) Within(wait time.Duration, work func(context.Context) ops.Result, late func(context.Context, ops.Result)) (ops.Result, bool) {
	var (
		mu     sync.Mutex
		state  int // 0 waiting, 1 answered in time, 2 late
		result ops.Result
		done   = make(chan struct{})
	)
	g.Go(func(ctx context.Context) {
		res := work(ctx)
		mu.Lock()
		if state == 0 {
			state, result = 1, res
			mu.Unlock()
			close(done)
			return
		}
		mu.Unlock()
		late(ctx, res)
	})
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
		return result, true
	case <-t.C:
	}
	mu.Lock()
	defer mu.Unlock()
	if state == 1 {
		return result, true
	}
	state = 2
	return ops.Result{}, false
}
