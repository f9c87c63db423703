package app

import "github.com/poolvisor/poolvisor/internal/lease"

// takeLease marks this process as running in the data directory and removes
// what dead processes left there: their staging copies of config files.
func (a *App) takeLease() error {
	l, err := lease.Acquire(a.Config.DataDir)
	if err != nil {
		return err
	}
	a.lease = l
	removed, err := lease.Sweep(a.Config.DataDir)
	if err != nil {
		a.Log.Warn("could not remove everything dead poolvisor processes left", "err", err)
	}
	if len(removed) > 0 {
		a.Log.Info("removed the staging directories of poolvisor processes that died", "dirs", removed)
	}
	return nil
}
