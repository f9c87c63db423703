package app

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/grants"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// tellEvery is how often serve looks for grants whose holders are to be
// told something: one that started, one about to end. Only the messages
// wait for it: expiry itself is judged at each decision. Both are read
// from the stored grants (deadline and what was sent), so a serve
// restarted meanwhile tells each once, late at most by this.
const tellEvery = time.Second

// newGrants opens the grants store and returns the RBAC policy that
// consults it at every decision, and the handlers of the grant operations.
func (a *App) newGrants(ctx context.Context, db *sql.DB) (*authz.Policy, map[string]ops.Handler, error) {
	cfg := a.Config
	store, err := grants.New(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	a.grants = store
	active := func(now time.Time) ([]authz.Temporary, error) {
		list, err := store.Active(context.Background(), now)
		out := make([]authz.Temporary, 0, len(list))
		for _, g := range list {
			out = append(out, authz.Temporary{ID: g.ID, Who: g.Who, Role: g.Role, BreakGlass: g.Kind == grants.KindBreakGlass})
		}
		return out, err
	}
	policy := authz.New(cfg.RBAC.Roles, bindings(cfg.RBAC.Bindings)).WithPeople(people(cfg.RBAC.People)).
		WithGrants(active, time.Now, a.Log)
	return policy, grants.Handlers(grants.Config{
		Store: store, RBAC: policy, Approvers: cfg.Approvals.ApproverRoles, Max: cfg.RBAC.MaxGrant, Platforms: platformNames(),
		Announce: a.announce, Log: a.Log.With("part", "grants"),
	}), nil
}

// platformNames are the platforms whose identities RBAC names.
func platformNames() []string {
	out := make([]string, len(config.Identities))
	for i, id := range config.Identities {
		out[i] = id.Platform
	}
	return out
}

// announce posts text to every chat platform's notify channel, as a
// notice beside the alerts. Without one it is only logged.
func (a *App) announce(ctx context.Context, text string) error {
	a.notifyMu.Lock()
	notifiers := append([]alert.Notifier(nil), a.notifiers...)
	a.notifyMu.Unlock()
	a.Log.Info("announce", "text", text)
	var errs []error
	for _, n := range notifiers {
		if _, err := n.PostAlert(ctx, alert.Alert{Kind: alert.KindNotice, Host: a.Config.Host, State: text}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runReminders tells each grant's holder, privately, that it started and,
// rbac.grant_reminder before it ends, that it is about to; until ctx ends.
// Each grant's holder is told each once, by one process.
func (a *App) runReminders(ctx context.Context) {
	t := time.NewTicker(tellEvery)
	defer t.Stop()
	for {
		now := time.Now()
		started, err := a.grants.Started(ctx, now)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("could not read the grants that started", "err", err)
		}
		for _, g := range started {
			a.tell(ctx, g, startText(g))
		}
		ending, err := a.grants.Ending(ctx, now, a.Config.RBAC.GrantReminder)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("could not read the grants about to end", "err", err)
		}
		for _, g := range ending {
			a.tell(ctx, g, endText(g, now))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
