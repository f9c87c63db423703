package app

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/maintenance"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// holdCheckEvery is how often serve looks for maintenance windows that
// have ended, to post the summary of what they held without waiting for
// the next alert. A window stopped by another process (exec) is seen
// this late at most; one read of the database each time.
const holdCheckEvery = time.Second

// openMaintenance opens the store of windows and mutes and adds the
// handlers of /ops maintenance and /ops mute.
func (a *App) openMaintenance(ctx context.Context, handlers map[string]ops.Handler, policy *authz.Policy) error {
	cfg := a.Config
	store, err := maintenance.New(ctx, a.db, cfg.Maintenance.Schedules(), a.covers)
	if err != nil {
		return err
	}
	a.maint = store
	maps.Copy(handlers, maintenance.Ops{
		Store: store, Host: cfg.Host, Max: cfg.Maintenance.MaxDuration, Approvers: cfg.Approvals.ApproverRoles, Announce: a.announce,
		CanWrite: func(actor ops.Actor) bool {
			return slices.ContainsFunc(ops.Names(), func(name string) bool {
				return ops.KindOf(name) == ops.Write && ops.OwnerOf(name) != ops.OwnerCore && policy.Allowed(actor, name)
			})
		},
	}.Handlers())
	return nil
}

// covers reports whether a window or mute for target (a host, a host
// group or all) covers host.
func (a *App) covers(target, host string) bool {
	return target == host || target == "all" || slices.Contains(a.Config.HostGroups[target], host)
}

// resolveHost is a fleet hub's ResolveHost, which leaves the pipeline's
// own operations on the hub. Windows and mutes are the hub's too, but
// about the hosts they name: --host (or the channel's default) is kept
// for them, a host, a group or all.
func (a *App) resolveHost(actor ops.Actor, op ops.Operation) (string, error) {
	if op.Name != "ops.maintenance" && op.Name != "ops.mute" {
		return a.Hub.ResolveHost(actor, op)
	}
	target := cmp.Or(op.Host, a.Hub.DefaultFor(actor.Channel))
	if target == "all" || a.Config.HostGroups[target] != nil || slices.Contains(a.Hub.Hosts(context.Background()), target) {
		return target, nil
	}
	return "", ops.Invalidf("unknown host %q: name a host, a group or all (see /ops hosts)", target)
}

// frozen is the pipeline's Frozen: the hosts an operation's target
// stands for, each checked for a window that freezes writes.
func (a *App) frozen(ctx context.Context, target string) (string, error) {
	hosts := []string{target}
	switch {
	case target == "all":
		hosts = append(hosts, slices.Sorted(maps.Keys(a.Config.Fleet.AgentKeys))...)
	case a.Config.HostGroups[target] != nil:
		hosts = append(hosts, a.Config.HostGroups[target]...)
	}
	return a.maint.Frozen(ctx, hosts, time.Now())
}

// hold wraps the notifier of sink (a chat platform, or the hub's relay)
// so that maintenance windows hold its alerts back.
func (a *App) hold(sink string, n alert.Notifier) alert.Notifier {
	h := maintenance.NewHold(sink, n, a.maint, a.Log.With("part", "maintenance"))
	a.holdMu.Lock()
	a.holds = append(a.holds, h)
	a.holdMu.Unlock()
	return h
}

// checkHolds posts, every holdCheckEvery until ctx ends, the summary of
// each window that has ended.
func (a *App) checkHolds(ctx context.Context) {
	t := time.NewTicker(holdCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.holdMu.Lock()
		holds := slices.Clone(a.holds)
		a.holdMu.Unlock()
		for _, h := range holds {
			h.Check(ctx)
		}
	}
}
