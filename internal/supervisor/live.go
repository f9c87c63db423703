package supervisor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
)

// liveMaxAge is how old the last reconciliation may be for status to answer
// from the live state; serve reconciles every liveMaxAge/2.
const liveMaxAge = 60 * time.Second

// live is the process list as supervisord's events keep it current, so that
// status need not ask supervisord every time. It is trusted only while the
// event listener runs and a full reconciliation is recent.
type live struct {
	mu    sync.Mutex
	procs []ProcessInfo
	at    time.Time // of the last reconciliation
	stale bool      // an event named a process the snapshot does not know
}

// Reconcile replaces the live state with supervisord's full process list.
func (b *Backend) Reconcile(ctx context.Context) error {
	procs, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return err
	}
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	b.live.procs, b.live.at, b.live.stale = procs, time.Now(), false
	return nil
}

// RunReconcile reconciles every liveMaxAge/2 until ctx ends.
func (b *Backend) RunReconcile(ctx context.Context) {
	t := time.NewTicker(liveMaxAge / 2)
	defer t.Stop()
	for {
		if err := b.Reconcile(ctx); err != nil {
			b.log.Warn("reconcile with supervisord failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Observe applies one state change to the live state.
func (b *Backend) Observe(e events.Event) {
	state := e.State()
	if state == "" {
		return
	}
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	for i := range b.live.procs {
		p := &b.live.procs[i]
		if p.Group != e.Group || p.Name != e.Process {
			continue
		}
		now := e.Time.Unix()
		p.StateName, p.Now = state, now
		switch state {
		case "RUNNING", "STARTING", "STOPPING":
			if e.PID > 0 {
				p.PID = e.PID
			}
			if state == "STARTING" {
				p.Start = now
			}
			p.Description = fmt.Sprintf("pid %d", p.PID)
		default:
			p.PID, p.Stop, p.Description = 0, now, ""
		}
		return
	}
	b.live.stale = true
}

// liveProcesses returns the live state when it can be trusted.
func (b *Backend) liveProcesses() ([]ProcessInfo, bool) {
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	if b.live.stale || time.Since(b.live.at) > liveMaxAge {
		return nil, false
	}
	listening := false
	for _, p := range b.live.procs {
		if p.Group == ListenerGroup && p.StateName == "RUNNING" {
			listening = true
		}
	}
	if !listening {
		return nil, false
	}
	now := time.Now().Unix()
	out := make([]ProcessInfo, len(b.live.procs))
	for i, p := range b.live.procs {
		p.Now = now
		out[i] = p
	}
	return out, true
}
