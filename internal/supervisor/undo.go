package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// failed answers a write whose daemon step (reread, applying the group,
// settling its processes) failed with err after c was written: the old
// bytes go back and supervisord is brought back in line with them, and the
// answer says exactly what was left, and how to finish, when that could not
// be done (SPEC §2: a failed apply leaves the files as they were).
func (b *Backend) failed(ctx context.Context, c fileChange, group, step string, err error) error {
	_, why := ops.UserError(err)
	left, ok := b.undo(ctx, c, group)
	if ok {
		return ops.Fail(err, "%s failed: %s\nThe change was rolled back: %s", step, why, left)
	}
	return &ops.Error{Status: ops.StatusFailed, Err: err,
		Msg: fmt.Sprintf("%s failed: %s\nThe change could not be rolled back completely: %s", step, why, left)}
}

// undo puts the old bytes of c back and has supervisord apply them to group
// (to none when group is ""), waiting for supervisord to come back when it
// is restarting. It returns what it left, in a sentence, and whether the
// disk and supervisord are both as before the write.
func (b *Backend) undo(ctx context.Context, c fileChange, group string) (string, bool) {
	// The caller may have given up waiting: the undo runs to its end anyway.
	ctx = context.WithoutCancel(ctx)
	if err := put(c.path, c.old); err != nil {
		b.log.Error("could not restore a file after a failed apply", "file", c.path, "err", err)
		return fmt.Sprintf("restoring %s FAILED (%v), so it holds the new content, and supervisord may run it. "+
			"Put the previous content back by hand%s and run /supervisor update%s.",
			c.path, err, historyHint(group), nameArg(group)), false
	}
	restored := fmt.Sprintf("%s is as it was", c.path)
	if c.old == nil {
		restored = fmt.Sprintf("the new file %s was removed again", c.path)
	}
	if err := b.waitRunning(ctx); err != nil {
		_, msg := ops.UserError(err)
		return fmt.Sprintf("%s, but supervisord did not come back (%s), so whether it loaded the change is unknown. "+
			"Once it answers, /supervisor reread shows the difference and /supervisor update%s makes it run the file as it is now.",
			restored, msg, nameArg(group)), false
	}
	back, err := b.changes(ctx)
	if err == nil && group != "" {
		err = b.applyChanges(ctx, back.only(group))
	}
	if err != nil {
		_, msg := ops.UserError(err)
		return fmt.Sprintf("%s, but supervisord could not be brought back in line with it (%s). "+
			"/supervisor reread shows the difference; /supervisor update%s makes it run the file as it is now.",
			restored, msg, nameArg(group)), false
	}
	switch {
	case group == "":
		return restored + ", and supervisord reread it.", true
	case c.old == nil:
		return fmt.Sprintf("%s, and supervisord does not run %s.", restored, group), true
	}
	return fmt.Sprintf("%s, and supervisord runs %s on it.", restored, group), true
}

// waitRunning waits, at most WaitTimeout, until supervisord answers in its
// RUNNING state: after a restart (SIGHUP, restart-service) it answers
// "shutting down" or not at all for a while.
func (b *Backend) waitRunning(ctx context.Context) error {
	deadline := time.Now().Add(b.cfg.WaitTimeout)
	for {
		_, state, err := b.client.GetState(ctx)
		if err == nil && state == "RUNNING" {
			return nil
		}
		if err == nil {
			err = ops.Failedf("supervisord is %s", state)
		} else {
			err = b.userError(err, "")
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(b.cfg.PollInterval):
		}
	}
}

// daemonError reports whether err came from talking to supervisord (not
// from what it said about the program): the daemon's state is then unknown.
func daemonError(err error) bool {
	var f *Fault
	var u *UnreachableError
	return errors.As(err, &f) || errors.As(err, &u) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func nameArg(group string) string {
	if group == "" {
		return ""
	}
	return " " + group
}

func historyHint(group string) string {
	if group == "" {
		return ""
	}
	return " (/supervisor history " + group + " shows it)"
}
