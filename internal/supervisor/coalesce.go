package supervisor

import (
	"context"
	"sync"
)

// coalescer lets concurrent readers of the process list share one XML-RPC
// call: supervisord is single-threaded, and a burst of 100 `status`
// requests should cost one getAllProcessInfo, not a queue of 100.
type coalescer struct {
	mu     sync.Mutex
	flight *flight
}

type flight struct {
	done  chan struct{}
	procs []ProcessInfo
	err   error
}

// do returns the result of fn, joining a call already in flight. The shared
// call does not end when one waiter gives up; the client's timeout bounds it.
func (c *coalescer) do(ctx context.Context, fn func(context.Context) ([]ProcessInfo, error)) ([]ProcessInfo, error) {
	c.mu.Lock()
	f := c.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.flight = f
		go func() {
			f.procs, f.err = fn(context.WithoutCancel(ctx))
			c.mu.Lock()
			c.flight = nil
			c.mu.Unlock()
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.procs, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readProcesses returns the process list for reads (status, show, logs):
// the live state while the event listener keeps it current, else one
// getAllProcessInfo shared with the reads in flight. Writes poll with their own calls, since a call
// that started before their action would show the state before it.
func (b *Backend) readProcesses(ctx context.Context) ([]ProcessInfo, error) {
	if procs, ok := b.liveProcesses(); ok {
		b.log.Debug("read answered from the live state")
		return procs, nil
	}
	return b.reads.do(ctx, b.client.GetAllProcessInfo)
}
