package phpfpm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// A verified reload (/fpm reload --rolling, SPEC §6; with --host GROUP the
// hub goes host after host and moves on only when a host's reload answered
// ok) waits, after php-fpm has settled, until its master answers and every
// pool of the instance accepts connections on its listen address, each
// within the reload timeout. One dial right after the reload is not enough:
// a pool may come up a moment late, and a pool may not come up at all even
// though php-fpm reports ready, as when its unix socket was removed (a
// graceful reload reuses the inherited listening socket and never creates
// the path again). Every pool is checked, and each that does not accept is
// named. A pool whose listen poolvisor cannot read fails the check too:
// "verified" must not mean "skipped".

// acceptPoll is how often a pool that does not accept yet is tried again.
const acceptPoll = 20 * time.Millisecond

// verifyRolling checks a reload as a rolling one needs, reporting a step
// per pool through the run.
func (b *Backend) verifyRolling(ctx context.Context) error {
	running, state, master := b.serviceState(ctx)
	if !running {
		return ops.Failedf("php-fpm is not running after the reload (%s)", state)
	}
	if master == 0 && b.cfg.Service.Mode != "systemd" {
		return ops.Failedf("php-fpm's master does not answer after the reload (no live php-fpm at the pid in %s)", b.pidFile())
	}
	d, err := b.scanPools()
	if err != nil {
		return err
	}
	run := ops.RunOf(ctx)
	progress := ops.Progress{Title: fmt.Sprintf("Verified reload of php-fpm on %s: every pool accepts", b.cfg.Host)}
	addrs := make([]address, len(d.pools))
	bad := make([]error, len(d.pools))
	for i, p := range d.pools {
		listen := p.directives["listen"]
		addrs[i], bad[i] = parseListen(listen, p.name)
		progress.Steps = append(progress.Steps, ops.Step{Name: "pool " + p.name, Items: []string{expandPool(listen, p.name)}, State: ops.StepWaiting})
	}
	run.Report(progress)
	deadline := time.Now().Add(b.cfg.ReloadTimeout)
	var failed []string
	for i, p := range d.pools {
		step := &progress.Steps[i]
		step.State = ops.StepRunning
		run.Report(progress)
		err := bad[i]
		if err == nil {
			err = waitAccepting(ctx, addrs[i], deadline, b.cfg.CallTimeout)
		} else {
			err = fmt.Errorf("its listen cannot be checked: %w", err)
		}
		if err != nil {
			step.State, step.Note = ops.StepFailed, err.Error()
			failed = append(failed, fmt.Sprintf("pool %s on %s: %v", p.name, step.Items[0], err))
		} else {
			step.State = ops.StepDone
		}
		run.Report(progress)
	}
	if len(failed) > 0 {
		return ops.Failedf("not every pool accepts connections within %s: %s", b.cfg.ReloadTimeout, strings.Join(failed, "; "))
	}
	return nil
}

// waitAccepting dials addr until it accepts a connection or deadline
// passes, each try bounded by try; it returns the last try's error.
func waitAccepting(ctx context.Context, addr address, deadline time.Time, try time.Duration) error {
	for {
		tctx, cancel := context.WithTimeout(ctx, min(try, max(time.Until(deadline), time.Millisecond)))
		err := addr.dial(tctx)
		cancel()
		if err == nil || !time.Now().Add(acceptPoll).Before(deadline) {
			return err
		}
		if err := sleep(ctx, acceptPoll); err != nil {
			return err
		}
	}
}
