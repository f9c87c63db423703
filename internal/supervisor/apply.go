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
	"github.com/poolvisor/poolvisor/internal/testhook"
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
	return atomicfile.WriteFile(path, b, atomicfile.PrivateMode)
}

// applyFile writes c, has supervisord reread its configuration, and applies
// the change to group alone (the `supervisorctl update` sequence for one
// group). When supervisord refuses the new configuration or cannot act on
// it, the file is put back byte for byte and supervisord brought back in
// line with it (undo.go), so neither the disk nor the daemon keeps anything
// of the change; when that cannot be done, the answer says what was left.
func (b *Backend) applyFile(ctx context.Context, c fileChange, group string) error {
	changes, err := b.writeAndReread(ctx, c, group)
	if err != nil {
		return err
	}
	if err := b.applyChanges(context.WithoutCancel(ctx), changes.only(group)); err != nil {
		return b.failed(ctx, c, group, "applying "+group, err)
	}
	return nil
}

// writeAndReread writes c and has supervisord reread its configuration,
// which parses every file; when it refuses, the old bytes go back.
func (b *Backend) writeAndReread(ctx context.Context, c fileChange, group string) (Changes, error) {
	if err := b.writeLocked(ctx, c); err != nil {
		return Changes{}, err
	}
	testhook.Pause("after-write")
	// Once the file is written, what follows runs to its end even if the
	// caller gives up waiting, as the rollback must.
	changes, err := b.changes(context.WithoutCancel(ctx))
	if err != nil {
		return Changes{}, b.failed(ctx, c, group, "supervisord's reread of the new configuration", err)
	}
	return changes, nil
}

// applyProgram applies c, the file of program group, and waits for its
// processes to settle. A program that is applied but does not run is
// failed with its file in place (changes say so); when supervisord stops
// answering meanwhile (it restarts), the change is undone instead, so a
// failed answer never leaves the new file behind unsaid.
func (b *Backend) applyProgram(ctx context.Context, c fileChange, verb, group string, autostart bool, changes []ops.FileChange) (ops.Outcome, error) {
	if err := b.applyFile(ctx, c, group); err != nil {
		return ops.Outcome{}, err
	}
	testhook.Pause("before-settle")
	out, err := b.settle(context.WithoutCancel(ctx), verb, group, autostart)
	if err != nil && daemonError(err) {
		return ops.Outcome{}, b.failed(ctx, c, group, "waiting for "+group+" to settle", err)
	}
	if e := (*ops.Error)(nil); errors.As(err, &e) {
		e.Changes = changes // applied, though the program does not run
	}
	out.Changes = changes
	return out, err
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
	head := ops.Prose(fmt.Sprintf("%s %s on %s:", verb, group, b.cfg.Host))
	var bad []string
	for _, p := range final {
		if slices.Contains([]string{"BACKOFF", "FATAL"}, p.StateName) {
			bad = append(bad, b.whyNot(ctx, p))
		}
	}
	if len(bad) > 0 {
		return ops.Outcome{}, ops.FailedParts(list, head, ops.ProcessTable(list.Programs),
			ops.Prose("The configuration is in place, but the program does not run:\n"+strings.Join(bad, "\n")))
	}
	return ops.Parts(list, head, ops.ProcessTable(list.Programs)), nil
}

// States where a freshly added or changed group stops moving, and where one
// that starts by itself does.
var (
	settledStates = map[string]bool{"RUNNING": true, "BACKOFF": true, "FATAL": true, "EXITED": true, "STOPPED": true}
	startedStates = map[string]bool{"RUNNING": true, "BACKOFF": true, "FATAL": true, "EXITED": true}
)
