package app

import (
	"context"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/supervisor"
)

// listenerCheckEvery is how often serve looks at its own event listener.
// Its events cannot say that it stopped: it is what would send them.
const listenerCheckEvery = 5 * time.Second

// listenerAlert is the alert key of the listener's own incident; no
// program name can be it.
const listenerAlert = "\x00listener"

// watchListener alerts while poolvisor's event listener is installed but
// not running (stopped by hand, crashed, killed and not restarted): every
// other alert depends on it. Two bad looks in a row are needed, so that
// /supervisor events disable, which stops it before removing it, does not
// alert.
func (a *App) watchListener(ctx context.Context) {
	t := time.NewTicker(listenerCheckEvery)
	defer t.Stop()
	bad, shown := 0, ""
	for {
		state, installed, err := a.Supervisor.ListenerState(ctx)
		switch {
		case err != nil:
			// supervisord does not answer: its own health part says so.
		case !installed || supervisor.ListenerUp(state):
			bad = 0
			if shown != "" && installed {
				a.Log.Info("poolvisor's event listener runs again", "state", state)
				a.Alerts.Resolve(ctx, listenerAlert)
			} else if shown != "" {
				a.Alerts.Clear(ctx, listenerAlert, "REMOVED")
			}
			shown = ""
		default:
			bad++
			if bad >= 2 && state != shown {
				a.Log.Error("poolvisor's event listener is not running: no alerts are posted", "listener", supervisor.ListenerGroup, "state", state)
				a.Alerts.Raise(ctx, listenerAlert, alert.Alert{Kind: alert.KindListener, Program: supervisor.ListenerGroup, State: state})
				shown = state
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
