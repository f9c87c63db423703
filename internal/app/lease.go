package app

import (
	"context"
	"time"

	"github.com/poolvisor/poolvisor/internal/lease"
)

// takeLease marks this process as running in the data directory and removes
// what dead processes left there: their staging copies of config files.
func (a *App) takeLease() error {
	l, err := lease.Acquire(a.Config.DataDir)
	if err != nil {
		return err
	}
	a.lease = l
	a.sweep()
	return nil
}

// sweep removes the staging directories of processes that died.
func (a *App) sweep() {
	removed, err := lease.Sweep(a.Config.DataDir)
	if err != nil {
		a.Log.Warn("could not remove everything dead poolvisor processes left", "err", err)
	}
	if len(removed) > 0 {
		a.Log.Info("removed the staging directories of poolvisor processes that died", "dirs", removed)
	}
}

// reconcile settles the writes of poolvisor processes that died in the
// middle of one, so the audit and the history show them as interrupted.
func (a *App) reconcile(ctx context.Context) {
	alive := func(owner string) bool { return lease.Alive(a.Config.DataDir, owner) }
	entries, err := a.Pipeline.Reconcile(ctx, alive)
	if err != nil {
		a.Log.Error("could not settle every interrupted write", "err", err)
	}
	for _, e := range entries {
		a.Log.Warn("a write was interrupted by the end of its poolvisor process",
			"operation", e.Operation, "target", e.Target, "found", e.Found, "write", e.Write)
	}
}

// reconcileInterval is how often serve, which runs for months, settles the
// writes and removes the staging directories of exec and console processes
// that died beside it. Every process also does both at its start.
const reconcileInterval = time.Minute

func (a *App) reconcileEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sweep()
			a.reconcile(ctx)
		}
	}
}
