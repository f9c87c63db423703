package supervisor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

type action string

const (
	actionStart   action = "start"
	actionStop    action = "stop"
	actionRestart action = "restart"
)

var pastTense = map[action]string{actionStart: "Started", actionStop: "Stopped", actionRestart: "Restarted"}

// control handles start, stop and restart of NAME, GROUP:NAME, GROUP:* or all.
type control struct {
	b   *Backend
	act action
}

func (c control) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := c.b
	if c.act == actionRestart && req.Op.Has("rolling") {
		return c.planRolling(ctx, req)
	}
	for _, f := range rollFlags {
		if req.Op.Has(f) {
			return nil, ops.InvalidField(f, "--%s is for a rolling restart: add --rolling", f)
		}
	}
	sel, err := b.selectProcesses(ctx, req.Op.Target, strings.ToLower(pastTense[c.act]))
	if err != nil {
		return nil, err
	}
	configs, err := b.client.GetAllConfigInfo(ctx)
	if err != nil {
		return nil, b.userError(err, req.Op.Target)
	}
	var lines []string
	for _, p := range processes(sel.procs).Programs {
		l := fmt.Sprintf("  %s %s (%s", c.act, p.Name, p.State)
		if p.PID > 0 {
			l += fmt.Sprintf(", pid %d", p.PID)
		}
		lines = append(lines, l+")")
	}
	summary := fmt.Sprintf("%s %s on %s:\n%s", c.act, sel.target, b.cfg.Host, strings.Join(lines, "\n"))
	if sel.skipped {
		summary += "\n" + listenerSkipped
	}
	return &ops.Plan{
		Summary:     summary,
		Fingerprint: fingerprint(sel.procs, configs),
		Apply:       func(ctx context.Context) (ops.Outcome, error) { return c.apply(ctx, sel) },
	}, nil
}

// selectProcesses finds what target names among supervisord's processes,
// poolvisor's event listener left out of "all" and refused by name (verb
// says what it cannot be: "stopped", "signalled").
func (b *Backend) selectProcesses(ctx context.Context, target, verb string) (selection, error) {
	if isListener(target) {
		return selection{}, listenerRefused(verb)
	}
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return selection{}, b.userError(err, target)
	}
	sel, err := b.resolve(all, target)
	if err != nil {
		return selection{}, err
	}
	if sel.kind == "all" {
		sel.procs, sel.skipped = withoutListener(sel.procs)
	}
	return sel, nil
}

// fingerprint digests what a control request acts on: each selected process's
// state and pid, and its group's configuration. A restart approved after the
// program was edited, or after it crashed and came back, is a different
// restart from the one requested.
func fingerprint(procs []ProcessInfo, configs []map[string]any) string {
	groups := map[string]bool{}
	var parts []string
	for _, p := range procs {
		groups[p.Group] = true
		parts = append(parts, fmt.Sprintf("%s:%s %s %d", p.Group, p.Name, p.StateName, p.PID))
	}
	for _, c := range configs {
		if groups[fmt.Sprint(c["group"])] {
			js, _ := json.Marshal(c) // map keys are sorted by encoding/json
			parts = append(parts, string(js))
		}
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:])
}

func (c control) apply(ctx context.Context, sel selection) (ops.Outcome, error) {
	b := c.b
	if c.act == actionStop || c.act == actionRestart {
		if err := b.call(ctx, sel, false); err != nil {
			if !(c.act == actionRestart && isFault(err, FaultNotRunning)) {
				return ops.Outcome{}, err
			}
		}
		if _, err := b.wait(ctx, sel, stoppedStates); err != nil {
			return ops.Outcome{}, err
		}
	}
	if c.act == actionStart || c.act == actionRestart {
		if err := b.call(ctx, sel, true); err != nil {
			return ops.Outcome{}, err
		}
	}
	want := runningStates
	if c.act == actionStop {
		want = stoppedStates
	}
	final, err := b.wait(ctx, sel, want)
	if err != nil {
		return ops.Outcome{}, err
	}
	return b.report(ctx, c.act, sel, final)
}

// call sends the start (start true) or stop request for sel without waiting;
// waiting is done by polling, so that no single XML-RPC call outlives the
// call timeout however long a program takes to start or stop.
func (b *Backend) call(ctx context.Context, sel selection, start bool) error {
	var err error
	var results []ProcessResult
	switch {
	case sel.kind == "all":
		// Group by group rather than supervisord's start/stopAllProcesses,
		// which would take poolvisor's event listener along.
		results, err = b.callGroups(ctx, sel.procs, start)
	case sel.kind == "group" && start:
		results, err = b.client.StartProcessGroup(ctx, sel.group, false)
	case sel.kind == "group":
		results, err = b.client.StopProcessGroup(ctx, sel.group, false)
	case start:
		err = b.client.StartProcess(ctx, fullName(sel.procs[0]), false)
	default:
		err = b.client.StopProcess(ctx, fullName(sel.procs[0]), false)
	}
	if err != nil {
		var f *Fault
		if errors.As(err, &f) && diedAtStart(start, f.Code) {
			return nil
		}
		return b.userError(err, sel.target)
	}
	// Group calls answer per process; a process that was already in the
	// wanted state is fine, anything else is reported.
	for _, r := range results {
		if r.Status == FaultSuccess || r.Status == FaultAlreadyStarted || r.Status == FaultNotRunning ||
			diedAtStart(start, r.Status) {
			continue
		}
		name := r.Group + ":" + r.Name
		return ops.Failedf("supervisord could not %s %s: %s %s", map[bool]string{true: "start", false: "stop"}[start],
			name, FaultName(r.Status), r.Description)
	}
	return nil
}

// diedAtStart reports whether a start call's fault only means that the
// program died at once. Whether supervisord says so is a race inside it:
// startProcess reaps right after forking, and a child that has already
// exited by then (likely on a busy machine) fails the call with SPAWN_ERROR;
// otherwise the call succeeds and the process goes to BACKOFF a moment
// later. Both are left to the wait and the report that follow, which say
// why with the program's log: the wait ends only once the process has left
// STARTING, i.e. has been reaped, and supervisord drains a process's output
// into its log before it marks it reaped.
func diedAtStart(start bool, code int) bool { return start && code == FaultSpawnError }

// callGroups starts or stops the groups of procs, one after the other.
func (b *Backend) callGroups(ctx context.Context, procs []ProcessInfo, start bool) ([]ProcessResult, error) {
	var groups []string
	for _, p := range procs {
		if !slices.Contains(groups, p.Group) {
			groups = append(groups, p.Group)
		}
	}
	var out []ProcessResult
	for _, g := range groups {
		call := b.client.StopProcessGroup
		if start {
			call = b.client.StartProcessGroup
		}
		res, err := call(ctx, g, false)
		if err != nil {
			return out, err
		}
		out = append(out, res...)
	}
	return out, nil
}

func fullName(p ProcessInfo) string { return p.Group + ":" + p.Name }

func isFault(err error, code int) bool { return IsFault(err, code) }

// States a wait ends in. A start that ends in BACKOFF stops the wait too: the
// answer then says why, instead of sitting through every retry.
var (
	runningStates = map[string]bool{"RUNNING": true, "BACKOFF": true, "FATAL": true, "EXITED": true, "STOPPED": true}
	stoppedStates = map[string]bool{"STOPPED": true, "EXITED": true, "FATAL": true}
)

// wait polls until every process of sel is in one of the wanted states, or
// the wait timeout passes; it returns the states it saw last.
func (b *Backend) wait(ctx context.Context, sel selection, want map[string]bool) ([]ProcessInfo, error) {
	deadline := time.Now().Add(b.cfg.WaitTimeout)
	names := map[string]bool{}
	for _, p := range sel.procs {
		names[fullName(p)] = true
	}
	poll := b.poller()
	for {
		all, err := b.client.GetAllProcessInfo(ctx)
		if err != nil {
			return nil, b.userError(err, sel.target)
		}
		var now []ProcessInfo
		settled := true
		for _, p := range all {
			if names[fullName(p)] {
				now = append(now, p)
				// STARTING is also where a fresh start begins, so a start is
				// not settled until the process has left it.
				if !want[p.StateName] {
					settled = false
				}
			}
		}
		if settled || time.Now().After(deadline) {
			return now, nil
		}
		select {
		case <-ctx.Done():
			return now, ops.Fail(ctx.Err(), "gave up waiting for %s", sel.target)
		case <-time.After(poll()):
		}
	}
}

// poller returns the intervals of a wait: short at first, as most stops
// and starts take milliseconds, doubling up to PollInterval, so a slow
// program is not asked after many times a second.
func (b *Backend) poller() func() time.Duration {
	next := min(10*time.Millisecond, b.cfg.PollInterval)
	return func() time.Duration {
		d := next
		next = min(2*next, b.cfg.PollInterval)
		return d
	}
}

// report describes the resulting states; a start that did not reach RUNNING
// fails, with supervisord's spawn error and the last lines of the log.
func (b *Backend) report(ctx context.Context, act action, sel selection, final []ProcessInfo) (ops.Outcome, error) {
	list := processes(final)
	var bad []string
	for _, p := range final {
		ok := p.StateName == "RUNNING"
		if act == actionStop {
			ok = stoppedStates[p.StateName]
		}
		if ok {
			continue
		}
		bad = append(bad, b.whyNot(ctx, p))
	}
	parts := []ops.Part{ops.Prose(fmt.Sprintf("%s %s on %s:", pastTense[act], sel.target, b.cfg.Host)), ops.ProcessTable(list.Programs)}
	if sel.skipped {
		parts = append(parts, ops.Prose(listenerSkipped))
	}
	if len(bad) > 0 {
		return ops.Outcome{}, ops.FailedParts(list,
			ops.Prose(fmt.Sprintf("%s did not %s cleanly on %s:\n%s", sel.target, act, b.cfg.Host, strings.Join(bad, "\n"))),
			ops.ProcessTable(list.Programs))
	}
	return ops.Parts(list, parts...), nil
}

// whyNot says why a process is not where it should be: its state,
// supervisord's spawn error and the last lines of its log.
func (b *Backend) whyNot(ctx context.Context, p ProcessInfo) string {
	line := fmt.Sprintf("%s is %s", displayName(p), p.StateName)
	if p.SpawnErr != "" {
		line += ": " + p.SpawnErr
	}
	if tail := b.lastLines(ctx, fullName(p), 10); tail != "" {
		line += "\n  last log lines:\n" + indent(tail, "    ")
	}
	return line
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
