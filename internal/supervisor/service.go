package supervisor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Changes is what supervisord's reread found: groups added, changed and
// removed in the config files since it last applied them.
type Changes struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

func (c Changes) empty() bool { return len(c.Added)+len(c.Changed)+len(c.Removed) == 0 }

func (c Changes) only(name string) Changes {
	keep := func(list []string) []string {
		if slices.Contains(list, name) {
			return []string{name}
		}
		return []string{}
	}
	return Changes{Added: keep(c.Added), Changed: keep(c.Changed), Removed: keep(c.Removed)}
}

func (c Changes) String() string {
	if c.empty() {
		return "no changes"
	}
	var parts []string
	for _, p := range []struct {
		label string
		list  []string
	}{{"added", c.Added}, {"changed", c.Changed}, {"removed", c.Removed}} {
		if len(p.list) > 0 {
			parts = append(parts, p.label+": "+strings.Join(p.list, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func (b *Backend) changes(ctx context.Context) (Changes, error) {
	added, changed, removed, err := b.client.ReloadConfig(ctx)
	if err != nil {
		return Changes{}, b.userError(err, "reread")
	}
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return Changes{Added: nonNil(added), Changed: nonNil(changed), Removed: nonNil(removed)}, nil
}

func (b *Backend) reread(ctx context.Context, _ ops.Request) (ops.Outcome, error) {
	c, err := b.changes(ctx)
	if err != nil {
		return ops.Outcome{}, err
	}
	msg := fmt.Sprintf("Program files on %s compared with what supervisord runs: %s.", b.cfg.Host, c)
	if !c.empty() {
		msg += " Nothing was applied; /supervisor update applies it."
	}
	return ops.Outcome{Message: msg, Data: map[string]any{"changes": c}}, nil
}

// updateHandler applies reread's changes, like `supervisorctl update [NAME]`:
// only the groups that changed are stopped, removed and added again.
type updateHandler struct{ b *Backend }

func (u updateHandler) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	c, err := u.b.changes(ctx)
	if err != nil {
		return nil, err
	}
	if isListener(req.Op.Target) {
		return nil, listenerRefused("updated")
	}
	if req.Op.Target != "" {
		c = c.only(req.Op.Target)
	}
	c, skipped := c.withoutListener()
	sum := sha256.Sum256([]byte(c.String()))
	// update restarts changed groups and stops removed ones: it is gated as
	// those would be.
	var effects []string
	if len(c.Changed) > 0 {
		effects = append(effects, "supervisor.program.restart")
	}
	if len(c.Removed) > 0 {
		effects = append(effects, "supervisor.program.stop")
	}
	return &ops.Plan{
		Summary:     fmt.Sprintf("update on %s: %s%s", u.b.cfg.Host, c, map[bool]string{true: "\n" + listenerSkipped}[skipped]),
		Fingerprint: hex.EncodeToString(sum[:]),
		Effects:     effects,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := u.b.applyChanges(ctx, c); err != nil {
				return ops.Outcome{}, err
			}
			all, err := u.b.client.GetAllProcessInfo(ctx)
			if err != nil {
				return ops.Outcome{}, u.b.userError(err, "update")
			}
			list := processes(all)
			return ops.Parts(map[string]any{"changes": c, "programs": list.Programs},
				ops.Prose(fmt.Sprintf("Updated %s: %s.", u.b.cfg.Host, c)), ops.ProcessTable(list.Programs)), nil
		},
	}, nil
}

// applyChanges stops and removes removed and changed groups, then adds changed
// and added ones. Groups not named in c are never touched.
func (b *Backend) applyChanges(ctx context.Context, c Changes) error {
	for _, g := range append(append([]string{}, c.Removed...), c.Changed...) {
		if err := b.removeGroup(ctx, g); err != nil {
			return err
		}
	}
	for _, g := range append(append([]string{}, c.Changed...), c.Added...) {
		if err := b.client.AddProcessGroup(ctx, g); err != nil && !IsFault(err, FaultAlreadyAdded) {
			return b.userError(err, g)
		}
	}
	return nil
}

// removeGroup stops a group and removes it from supervisord, waiting for
// STOPPED when supervisord says the group is still running.
func (b *Backend) removeGroup(ctx context.Context, group string) error {
	if _, err := b.client.StopProcessGroup(ctx, group, false); err != nil && !IsFault(err, FaultBadName) {
		return b.userError(err, group)
	}
	deadline := time.Now().Add(b.cfg.WaitTimeout)
	for {
		err := b.client.RemoveProcessGroup(ctx, group)
		if err == nil || IsFault(err, FaultBadName) {
			return nil
		}
		if !IsFault(err, FaultStillRunning) || time.Now().After(deadline) {
			return b.userError(err, group)
		}
		select {
		case <-ctx.Done():
			return ops.Fail(ctx.Err(), "gave up waiting for %s to stop", group)
		case <-time.After(b.cfg.PollInterval):
		}
	}
}

// restartService restarts supervisord itself, and with it every program.
type restartService struct{ b *Backend }

func (r restartService) Plan(ctx context.Context, _ ops.Request) (*ops.Plan, error) {
	b := r.b
	pid, err := b.client.GetPID(ctx)
	if err != nil {
		return nil, b.userError(err, "restart-service")
	}
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, b.userError(err, "restart-service")
	}
	return &ops.Plan{
		Summary: fmt.Sprintf("restart supervisord on %s (pid %d): all %d process(es) stop and start again with the configuration on disk",
			b.cfg.Host, pid, len(all)),
		Fingerprint: fmt.Sprintf("supervisord pid %d", pid),
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := b.client.Restart(ctx); err != nil {
				return ops.Outcome{}, b.userError(err, "restart-service")
			}
			return b.afterRestart(ctx)
		},
	}, nil
}

// afterRestart waits for supervisord to come back RUNNING and reports the
// states. Its restart call answers only after setting its state to
// RESTARTING, so a RUNNING seen after it is the daemon back, however soon
// it is asked: no pause is needed before looking.
func (b *Backend) afterRestart(ctx context.Context) (ops.Outcome, error) {
	deadline := time.Now().Add(b.cfg.WaitTimeout)
	for {
		_, state, err := b.client.GetState(ctx)
		if err == nil && state == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			return ops.Outcome{}, ops.Failedf("supervisord on %s did not come back within %s", b.cfg.Host, b.cfg.WaitTimeout)
		}
		select {
		case <-ctx.Done():
			return ops.Outcome{}, ops.Fail(ctx.Err(), "gave up waiting for supervisord")
		case <-time.After(b.cfg.PollInterval):
		}
	}
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return ops.Outcome{}, b.userError(err, "restart-service")
	}
	list := processes(all)
	return ops.Parts(list, ops.Prose(fmt.Sprintf("Restarted supervisord on %s:", b.cfg.Host)), ops.ProcessTable(list.Programs)), nil
}
