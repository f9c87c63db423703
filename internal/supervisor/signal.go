package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// signalControl handles /supervisor signal TARGET SIGNAL (SPEC §6):
// supervisord's signalProcess, to each running process of the target, so
// that a Horizon-style worker reloads gracefully on USR2 or HUP without a
// restart. Processes that are not running are not signalled.
type signalControl struct{ b *Backend }

// stopping are the signals sent to end a process: sending one amounts to
// a stop (supervisord may start it again if autorestart says so), and is
// gated as one.
var stopping = []string{"TERM", "INT", "QUIT", "KILL"}

// signalNumbers are the Linux numbers of catalog.Signals.
var signalNumbers = map[string]uint{"HUP": 1, "INT": 2, "QUIT": 3, "USR1": 10, "USR2": 12, "TERM": 15, "KILL": 9, "WINCH": 28}

// ends says why sig ends the process pid, or "" when it does not. HUP,
// USR1 and USR2 end a process that neither handles nor ignores them (their
// default action), so a "reload" signal to a program without a handler is
// a stop, and is gated as one: the process's dispositions are read from
// /proc when supervisord runs on this host; when they cannot be read, the
// signal is taken to end it. WINCH is ignored by default.
func (b *Backend) ends(ctx context.Context, pid int, sig string) string {
	switch {
	case slices.Contains(stopping, sig):
		return "it ends the process"
	case sig == "WINCH":
		return ""
	case !b.local:
		return "whether it handles the signal cannot be read from here, so it may end"
	}
	if b.forkOfSupervisord(ctx, pid) {
		return "it has not become its program yet (it is still supervisord's fork), so whether it handles the signal is not known, and it may end"
	}
	caught, err := handled(pid, signalNumbers[sig])
	if err != nil {
		return "whether it handles the signal cannot be read (" + err.Error() + "), so it may end"
	}
	if !caught {
		return "it does not handle SIG" + sig + ", so the signal ends it"
	}
	return ""
}

// forkOfSupervisord reports whether pid is still the fork supervisord
// makes to start a program, before it execs the program (it reports
// RUNNING then when startsecs is 0): the fork has supervisord's command
// line and supervisord's own signal handlers, not the program's.
func (b *Backend) forkOfSupervisord(ctx context.Context, pid int) bool {
	spid, err := b.client.GetPID(ctx)
	if err != nil {
		return true // unknown: judged as the fork, which may end
	}
	mine, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	theirs, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", spid))
	return err1 != nil || err2 != nil || string(mine) == string(theirs)
}

// handled reports whether process pid catches or ignores signal number n,
// from the SigCgt and SigIgn masks of /proc/PID/status.
func handled(pid int, n uint) (bool, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false, err
	}
	bit := uint64(1) << (n - 1)
	found := 0
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "SigCgt" && k != "SigIgn") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return false, err
		}
		found++
		if mask&bit != 0 {
			return true, nil
		}
	}
	if found < 2 {
		return false, errors.New("no signal masks in /proc")
	}
	return false, nil
}

// SignalProcess sends sig (a name such as HUP) to one process, GROUP:NAME.
func (c *Client) SignalProcess(ctx context.Context, name, sig string) error {
	return c.Call(ctx, "supervisor.signalProcess", nil, name, sig)
}

func (h signalControl) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := h.b
	raw, _ := req.Op.Get("signal")
	sig, ok := catalog.SignalName(raw)
	if !ok {
		return nil, ops.InvalidField("signal", "%q is not a signal poolvisor sends: use %s", raw, strings.Join(catalog.Signals, ", "))
	}
	sel, err := b.selectProcesses(ctx, req.Op.Target, "signalled")
	if err != nil {
		return nil, err
	}
	var running, idle []ProcessInfo
	for _, p := range sel.procs {
		if p.StateName == "RUNNING" {
			running = append(running, p)
		} else {
			idle = append(idle, p)
		}
	}
	if len(running) == 0 {
		return nil, ops.Invalidf("no process of %s is running on %s, so there is nothing to signal (%s)", sel.target, b.cfg.Host, stateList(idle))
	}
	lines := make([]string, 0, len(running)+1)
	ends := false
	for _, p := range running {
		l := fmt.Sprintf("  %s %s (RUNNING, pid %d)", sig, displayName(p), p.PID)
		if why := b.ends(ctx, p.PID, sig); why != "" {
			ends = true
			l += ": " + why
		}
		lines = append(lines, l)
	}
	if len(idle) > 0 {
		lines = append(lines, "  not signalled, not running: "+stateList(idle))
	}
	plan := &ops.Plan{
		Summary:     fmt.Sprintf("send SIG%s to %s on %s:\n%s", sig, sel.target, b.cfg.Host, strings.Join(lines, "\n")),
		Fingerprint: fingerprint(running, nil) + " " + sig,
	}
	if ends {
		plan.Effects = []string{"supervisor.program.stop"}
	}
	plan.Apply = func(ctx context.Context) (ops.Outcome, error) {
		return b.signal(ctx, sel, running, idle, sig, ends)
	}
	return plan, nil
}

// signal sends sig to each of running and reports their states after: a
// process a stopping signal ends is waited for until it has left RUNNING
// with that pid (it may be RUNNING again with a new one, when
// autorestart starts it again).
func (b *Backend) signal(ctx context.Context, sel selection, running, idle []ProcessInfo, sig string, ends bool) (ops.Outcome, error) {
	var failed []string
	for _, p := range running {
		if err := b.client.SignalProcess(ctx, fullName(p), sig); err != nil {
			_, msg := ops.UserError(b.userError(err, displayName(p)))
			failed = append(failed, fmt.Sprintf("%s: %s", displayName(p), msg))
		}
	}
	final := running
	if ends {
		final = b.waitPIDsGone(ctx, running)
	} else if all, err := b.client.GetAllProcessInfo(ctx); err == nil {
		final = pick(all, running)
	}
	list := processes(final)
	head := fmt.Sprintf("Sent SIG%s to %s on %s:", sig, sel.target, b.cfg.Host)
	parts := []ops.Part{ops.Prose(head), ops.ProcessTable(list.Programs)}
	if len(idle) > 0 {
		parts = append(parts, ops.Prose("Not signalled, not running: "+stateList(idle)))
	}
	if sel.skipped {
		parts = append(parts, ops.Prose(listenerSkipped))
	}
	if len(failed) > 0 {
		return ops.Outcome{}, ops.FailedParts(list,
			ops.Prose(fmt.Sprintf("SIG%s could not be sent to every process of %s on %s:\n  %s", sig, sel.target, b.cfg.Host, strings.Join(failed, "\n  "))),
			ops.ProcessTable(list.Programs))
	}
	return ops.Parts(list, parts...), nil
}

// waitPIDsGone waits, at most WaitTimeout, until none of procs runs with
// the pid it had, and returns their states then.
func (b *Backend) waitPIDsGone(ctx context.Context, procs []ProcessInfo) []ProcessInfo {
	deadline := time.Now().Add(b.cfg.WaitTimeout)
	for {
		all, err := b.client.GetAllProcessInfo(ctx)
		if err != nil {
			return procs
		}
		now := pick(all, procs)
		gone := true
		for i, p := range now {
			if i < len(procs) && p.PID == procs[i].PID && p.StateName == "RUNNING" {
				gone = false
			}
		}
		if gone || time.Now().After(deadline) {
			return now
		}
		select {
		case <-ctx.Done():
			return now
		case <-time.After(b.cfg.PollInterval):
		}
	}
}

// pick returns the current entries of all for procs, in procs' order.
func pick(all, procs []ProcessInfo) []ProcessInfo {
	out := make([]ProcessInfo, 0, len(procs))
	for _, p := range procs {
		for _, q := range all {
			if fullName(q) == fullName(p) {
				out = append(out, q)
				break
			}
		}
	}
	return out
}

// stateList lists processes with their states: "web (STOPPED), jobs:mailer (EXITED)".
func stateList(procs []ProcessInfo) string {
	out := make([]string, len(procs))
	for i, p := range procs {
		out[i] = fmt.Sprintf("%s (%s)", displayName(p), p.StateName)
	}
	return strings.Join(out, ", ")
}
