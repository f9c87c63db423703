package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/atomicfile"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// fileChange is one config file going from old to new bytes. A nil old means
// the file does not exist yet; a nil new means the file goes away.
type fileChange struct {
	path     string
	old, new []byte
}

// put makes the file hold b (nil: removes it).
func put(path string, b []byte) error {
	if b == nil {
		if err := atomicfile.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// applyFile writes c, has supervisord reread its configuration, and applies
// the change to group alone (the `supervisorctl update` sequence for one
// group). When supervisord refuses the new configuration, the file is put
// back byte for byte and supervisord rereads again, so neither the disk nor
// the daemon keeps anything of the change.
func (b *Backend) applyFile(ctx context.Context, c fileChange, group string) error {
	changes, err := b.writeAndReread(ctx, c)
	if err != nil {
		return err
	}
	mine := changes.only(group)
	if err := b.applyChanges(ctx, mine); err != nil {
		// supervisord accepted the file but could not act on it: put the old
		// file back and bring the old group back, so the host runs as before.
		rerr := b.restore(ctx, c)
		if rerr == nil {
			back, cerr := b.changes(ctx)
			if cerr == nil {
				rerr = b.applyChanges(ctx, back.only(group))
			}
		}
		_, msg := ops.UserError(err)
		if rerr != nil {
			_, rmsg := ops.UserError(rerr)
			return ops.Fail(errors.Join(err, rerr), "applying %s failed (%s), and so did restoring it (%s)", group, msg, rmsg)
		}
		return ops.Fail(err, "applying %s failed, so the change was rolled back: %s", group, msg)
	}
	return nil
}

// writeAndReread writes c and has supervisord reread its configuration,
// which parses every file; when it refuses, the old bytes go back.
func (b *Backend) writeAndReread(ctx context.Context, c fileChange) (Changes, error) {
	if err := put(c.path, c.new); err != nil {
		return Changes{}, ops.Fail(err, "could not write %s; nothing was changed", c.path)
	}
	changes, err := b.changes(ctx)
	if err != nil {
		if rerr := b.restore(ctx, c); rerr != nil {
			return Changes{}, rerr
		}
		_, msg := ops.UserError(err)
		return Changes{}, ops.Fail(err, "supervisord refused the new configuration, so it was rolled back: %s", msg)
	}
	return changes, nil
}

// restore puts the old bytes of c back and has supervisord reread them.
func (b *Backend) restore(ctx context.Context, c fileChange) error {
	if err := put(c.path, c.old); err != nil {
		return ops.Fail(err, "could not restore %s", c.path)
	}
	if _, err := b.changes(ctx); err != nil {
		_, msg := ops.UserError(err)
		return ops.Fail(err, "restored %s, but supervisord could not reread it: %s", c.path, msg)
	}
	return nil
}

// settle waits for group's processes to leave their transient states and
// reports them; a process that should run but does not makes it a failure,
// with supervisord's reason and the last lines of its log.
// A group that starts by itself is not settled while it is still STOPPED:
// supervisord spawns autostart processes on its next tick, not in the call.
func (b *Backend) settle(ctx context.Context, verb, group string, autostart bool) (ops.Outcome, error) {
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return ops.Outcome{}, b.userError(err, group)
	}
	sel := selection{target: group, kind: "group", group: group}
	for _, p := range all {
		if p.Group == group {
			sel.procs = append(sel.procs, p)
		}
	}
	if len(sel.procs) == 0 {
		return ops.Outcome{Message: fmt.Sprintf("%s %s on %s.", verb, group, b.cfg.Host), Data: ops.ProgramList{Programs: []ops.Process{}}}, nil
	}
	want := settledStates
	if autostart {
		want = startedStates
	}
	final, err := b.wait(ctx, sel, want)
	if err != nil {
		return ops.Outcome{}, err
	}
	list := processes(final)
	msg := fmt.Sprintf("%s %s on %s:\n%s", verb, group, b.cfg.Host, table(list.Programs))
	var bad []string
	for _, p := range final {
		if slices.Contains([]string{"BACKOFF", "FATAL"}, p.StateName) {
			bad = append(bad, b.whyNot(ctx, p))
		}
	}
	if len(bad) > 0 {
		return ops.Outcome{}, &ops.Error{Status: ops.StatusFailed, Data: list,
			Msg: fmt.Sprintf("%s\nThe configuration is in place, but the program does not run:\n%s", msg, strings.Join(bad, "\n"))}
	}
	return ops.Outcome{Message: msg, Data: list}, nil
}

// States where a freshly added or changed group stops moving, and where one
// that starts by itself does.
var (
	settledStates = map[string]bool{"RUNNING": true, "BACKOFF": true, "FATAL": true, "EXITED": true, "STOPPED": true}
	startedStates = map[string]bool{"RUNNING": true, "BACKOFF": true, "FATAL": true, "EXITED": true}
)
