package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/events"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
	"github.com/poolvisor/poolvisor/internal/supervisor"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// EventsSocket is where `serve` receives supervisord's events from the listener.
func EventsSocket(dataDir string) string { return filepath.Join(dataDir, events.SocketName) }

// eventsCommand is the command line supervisord runs, as root, as
// poolvisor's event listener: this very binary, pointed at this config's
// socket. It is "" with the reason when the binary is not one only root
// can change: supervisord would run whatever replaced it.
func eventsCommand(dataDir string) (cmd, refused string) {
	exe, err := os.Executable()
	if err != nil {
		return "", "poolvisor cannot find its own binary: " + err.Error()
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	socket := EventsSocket(dataDir)
	if strings.ContainsAny(exe+socket, " \t\"'\\;#%") {
		// supervisord splits the command like a shell: keep it to plain paths
		return "", fmt.Sprintf("the command line %q is not plain paths, which a supervisord file needs", exe+" events --socket "+socket)
	}
	if err := writepolicy.CheckTrusted(exe, os.Geteuid()); err != nil {
		return "", fmt.Sprintf("supervisord would run %s as root, but %v; install poolvisor where only root can change it (such as /usr/local/bin)", exe, err)
	}
	return exe + " events --socket " + socket, ""
}

// Events runs `poolvisor events`: supervisord's event listener protocol on
// stdin and stdout, each event forwarded to the bot's socket. Its own
// messages go to stderr, which supervisord logs.
func Events(ctx context.Context, socket string, stdin io.Reader, stdout, stderr io.Writer) int {
	fw := events.NewForwarder(socket)
	defer fw.Close()
	go fw.Keep(ctx)
	var lastWarn atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- events.Listen(ctx, stdin, stdout, func(e events.Event) {
			if err := fw.Send(e); err != nil {
				// Say so at most once a minute: supervisord keeps this log.
				if now := time.Now().Unix(); now-lastWarn.Load() >= 60 {
					lastWarn.Store(now)
					fmt.Fprintf(stderr, "poolvisor events: %v (is poolvisor serve running?)\n", err)
				}
			}
		})
	}()
	// Listen waits on stdin, which a signal does not interrupt: stop on
	// the signal itself, or supervisord waits stopwaitsecs and kills.
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "poolvisor events:", err)
		return ExitFailed
	}
	return 0
}

// startBackground starts what serve runs beside its endpoints: pruning of
// approvals and audit entries, the event socket and the reconciliation
// that keeps the live program state honest.
func (a *App) startBackground(ctx context.Context) {
	go a.reconcileEvery(ctx, reconcileInterval)
	go a.runPrune(ctx)
	go a.runReminders(ctx)
	go a.checkHolds(ctx)
	for _, b := range a.backends {
		if r, ok := b.(ops.Runner); ok {
			go r.Run(ctx)
		}
	}
	if a.FPMInstances != nil && a.Alerts != nil {
		for _, in := range a.FPMInstances.Backends() {
			go a.watchPools(ctx, in.Backend, in.Name)
		}
	}
	if a.Supervisor == nil {
		return
	}
	go a.serveEvents(ctx)
	if a.Alerts != nil {
		go a.watchListener(ctx)
	}
}

// watchPools samples one PHP-FPM instance's status and alerts on
// saturated pools. With several instances a pool's alert is named
// "POOL --php NAME": pool names repeat across instances, and so named the
// alert's key is the instance's own and its button's command reaches it.
func (a *App) watchPools(ctx context.Context, b *phpfpm.Backend, name string) {
	w := alert.NewPoolWatch()
	several := a.FPMInstances.Several()
	w.Detail = func(ctx context.Context, pool string) alert.PoolDetail {
		php := ""
		if several {
			pool, php = strings.TrimSuffix(pool, " --"+ops.InstanceArg+" "+name), name
		}
		return poolDetail(ctx, a.Log, b, pool, php)
	}
	t := time.NewTicker(a.Config.Alerts.PoolInterval)
	defer t.Stop()
	for {
		if st, err := b.Status(ctx); err == nil {
			if several {
				st = alertNames(st, name)
			}
			a.Alerts.Pools(ctx, w, st)
		} else {
			a.Log.Debug("pool status for alerts failed", "php", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// alertNames names the pools of one instance's status as its alerts call
// them on a host with several instances: "POOL --php NAME", which keeps
// www of 7.4 and www of 8.3 apart and is what the alert's button runs.
func alertNames(st ops.FPMStatus, php string) ops.FPMStatus {
	pools := make([]ops.PoolStatus, len(st.Pools))
	for i, p := range st.Pools {
		p.Name += " --" + ops.InstanceArg + " " + php
		pools[i] = p
	}
	st.Pools = pools
	return st
}

// serveEvents receives the listener's events while serve runs.
func (a *App) serveEvents(ctx context.Context) {
	if a.Supervisor == nil {
		return
	}
	path := EventsSocket(a.Config.DataDir)
	err := events.Serve(ctx, path, a.Log, events.Handler{Event: func(e events.Event) {
		a.Log.Debug("supervisor event", "event", e.Name, "process", e.Group+":"+e.Process, "from", e.From, "pid", e.PID)
		a.Supervisor.Observe(e)
		// Group events (PROCESS_GROUP_*) are for the live state only.
		if a.Alerts != nil && e.State() != "" && e.Group != supervisor.ListenerGroup { // watchListener alerts about it
			// Handle queues the event behind the program's earlier ones and
			// returns at once: the socket is never held up by a chat API.
			a.Alerts.Handle(context.WithoutCancel(ctx), e)
		}
	}, Conn: a.Supervisor.ListenerConnected, Lost: a.Supervisor.Resync})
	if err != nil {
		a.Log.Error("event socket stopped", "path", path, "err", err)
	}
}
