package app

import (
	"context"
	"time"
)

// pruneInterval is how often serve applies approvals.retention and
// audit.retention.
const pruneInterval = time.Hour

// Prune deletes the approval requests closed longer than
// approvals.retention ago, and moves the audit entries older than
// audit.retention to a dated archive file in data_dir before deleting them
// from the database.
func (a *App) Prune(ctx context.Context, now time.Time) error {
	n, err := a.approvals.Prune(ctx, now.Add(-a.Config.Approvals.Retention))
	if err != nil {
		return err
	}
	if n > 0 {
		a.Log.Info("pruned closed approval requests", "count", n, "retention", a.Config.Approvals.Retention)
	}
	moved, archive, err := a.trail.Prune(ctx, now.Add(-a.Config.Audit.Retention), a.Config.DataDir, now)
	if moved > 0 {
		a.Log.Info("moved old audit entries to the archive", "count", moved, "archive", archive, "retention", a.Config.Audit.Retention)
	}
	return err
}

// runPrune prunes at once, then every pruneInterval, until ctx ends.
func (a *App) runPrune(ctx context.Context) {
	t := time.NewTicker(pruneInterval)
	defer t.Stop()
	for {
		if err := a.Prune(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.Log.Error("pruning approvals and audit entries failed; retrying in an hour", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
