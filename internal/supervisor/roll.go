package supervisor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// A rolling restart (SPEC §6: /supervisor restart TARGET --rolling [--batch
// N] [--settle D]) restarts N processes at a time; the next batch begins
// only when each process of this one is RUNNING and has stayed RUNNING, with
// the same pid, for the settle time. At most N processes are ever down. The
// first process that does not come back stops the roll, and the processes
// of later batches are left running as they were. Processes that were not
// RUNNING before the roll are left alone: a roll does not start what an
// operator stopped. Between batches the roll can be cancelled (/ops cancel).

// roll is a planned rolling restart.
type roll struct {
	sel     selection
	batches [][]ProcessInfo
	idle    []ProcessInfo // not RUNNING before the roll: left alone
	settle  []time.Duration
	size    int
}

// rollFlags are the flags only a rolling restart takes.
var rollFlags = []string{"batch", "settle"}

// planRoll validates a rolling restart and splits its processes in batches.
func (b *Backend) planRoll(ctx context.Context, req ops.Request) (roll, []map[string]any, error) {
	var r roll
	sel, err := b.selectProcesses(ctx, req.Op.Target, "restarted")
	if err != nil {
		return r, nil, err
	}
	r.sel = sel
	r.size = 1
	if v, ok := req.Op.Get("batch"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return r, nil, ops.InvalidField("batch", "--batch must be at least 1, not %s", v)
		}
		if n > len(sel.procs) {
			return r, nil, ops.InvalidField("batch", "--batch %d is more than the %d process(es) of %s; a roll restarts fewer at a time than there are",
				n, len(sel.procs), sel.target)
		}
		r.size = n
	}
	var fixed time.Duration
	if v, ok := req.Op.Get("settle"); ok {
		d, err := catalog.ParseDuration(v)
		if err != nil || d <= 0 {
			return r, nil, ops.InvalidField("settle", "--settle takes a duration like 5s or 2m, not %q", v)
		}
		if d > catalog.MaxSettle {
			return r, nil, ops.InvalidField("settle", "--settle %s is longer than the %s a roll waits for a batch at most", d, catalog.MaxSettle)
		}
		fixed = d
	}
	configs, err := b.client.GetAllConfigInfo(ctx)
	if err != nil {
		return r, nil, b.userError(err, req.Op.Target)
	}
	var running []ProcessInfo
	for _, p := range sel.procs {
		if p.StateName == "RUNNING" {
			running = append(running, p)
		} else {
			r.idle = append(r.idle, p)
		}
	}
	if len(running) == 0 {
		hint := "/supervisor start starts them"
		for _, p := range r.idle {
			if p.StateName == "STARTING" || p.StateName == "BACKOFF" {
				// Right after supervisord starts, or a restart: a roll
				// leaves what is not RUNNING alone, so it waits for them.
				hint = "they are still starting: roll once they are RUNNING (after their startsecs), or restart them now without --rolling"
				break
			}
		}
		return r, nil, ops.Invalidf("no process of %s is running on %s, so there is nothing to roll (%s); %s",
			sel.target, b.cfg.Host, stateList(r.idle), hint)
	}
	for i := 0; i < len(running); i += r.size {
		batch := running[i:min(i+r.size, len(running))]
		settle := fixed
		if settle == 0 {
			for _, p := range batch {
				settle = max(settle, startsecs(configs, p)+time.Second)
			}
		}
		r.batches = append(r.batches, batch)
		r.settle = append(r.settle, settle)
	}
	return r, configs, nil
}

// startsecs is the startsecs of p's program, from getAllConfigInfo
// (supervisord's default, 1, when it says none).
func startsecs(configs []map[string]any, p ProcessInfo) time.Duration {
	for _, c := range configs {
		if fmt.Sprint(c["group"]) == p.Group && fmt.Sprint(c["name"]) == p.Name {
			if n, ok := asInt(c["startsecs"]); ok && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return time.Second
}

// asInt is an XML-RPC int as the decoder gives it in an any (an int64).
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case int:
		return n, true
	}
	return 0, false
}

// planRolling is the plan of a rolling restart: its batches, each with its
// settle time, in the summary an approver sees.
func (c control) planRolling(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := c.b
	r, configs, err := b.planRoll(ctx, req)
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("rolling restart of %s on %s, %d at a time; a batch is done when each of its processes has stayed RUNNING for its settle time:",
		r.sel.target, b.cfg.Host, r.size)}
	for i, batch := range r.batches {
		lines = append(lines, fmt.Sprintf("  batch %d (settle %s): %s", i+1, r.settle[i], pidList(batch)))
	}
	if len(r.idle) > 0 {
		lines = append(lines, "  left alone, not running: "+stateList(r.idle))
	}
	if r.sel.skipped {
		lines = append(lines, listenerSkipped)
	}
	return &ops.Plan{
		Summary:     strings.Join(lines, "\n"),
		Fingerprint: fingerprint(r.sel.procs, configs) + fmt.Sprintf(" rolling %d %v", r.size, r.settle),
		Apply:       func(ctx context.Context) (ops.Outcome, error) { return b.roll(ctx, r) },
	}, nil
}

func pidList(procs []ProcessInfo) string {
	out := make([]string, len(procs))
	for i, p := range procs {
		out[i] = fmt.Sprintf("%s (pid %d)", displayName(p), p.PID)
	}
	return strings.Join(out, ", ")
}

// roll carries out a rolling restart, batch after batch.
func (b *Backend) roll(ctx context.Context, r roll) (ops.Outcome, error) {
	run := ops.RunOf(ctx)
	progress := ops.Progress{Title: fmt.Sprintf("Rolling restart of %s on %s", r.sel.target, b.cfg.Host)}
	for i, batch := range r.batches {
		progress.Steps = append(progress.Steps, ops.Step{Name: fmt.Sprintf("batch %d", i+1), Items: names(batch), State: ops.StepWaiting})
	}
	run.Report(progress)
	for i, batch := range r.batches {
		step := &progress.Steps[i]
		if by, ok := run.Cancelled(); ok {
			untouched(progress.Steps[i:], "cancelled by "+by)
			return b.rollEnded(ctx, r, progress, fmt.Sprintf("Cancelled by %s before batch %d.", by, i+1), nil)
		}
		step.State = ops.StepRunning
		run.Report(progress)
		batch, gone, err := b.stillRunning(ctx, batch)
		if err == nil {
			if len(gone) > 0 {
				step.Note = "left alone, no longer running: " + stateList(gone)
			}
			err = b.restartBatch(ctx, batch, r.settle[i])
		}
		if err != nil {
			step.State, step.Note = ops.StepFailed, strings.TrimSpace(step.Note+"\n"+rollError(err))
			run.Audit(ctx, *step)
			untouched(progress.Steps[i+1:], "not restarted: the roll stopped at batch "+strconv.Itoa(i+1))
			return b.rollEnded(ctx, r, progress, fmt.Sprintf("The roll stopped at batch %d: %s", i+1, rollError(err)), err)
		}
		step.State = ops.StepDone
		run.Audit(ctx, *step)
		run.Report(progress)
	}
	return b.rollEnded(ctx, r, progress, "", nil)
}

// rollError is what a batch's failure says.
func rollError(err error) string {
	_, msg := ops.UserError(err)
	return msg
}

func untouched(steps []ops.Step, why string) {
	for i := range steps {
		steps[i].State, steps[i].Note = ops.StepUntouched, why
	}
}

func names(procs []ProcessInfo) []string {
	out := make([]string, len(procs))
	for i, p := range procs {
		out[i] = displayName(p)
	}
	return out
}

// RollData is the data of a rolling restart: the processes' states at its
// end and the roll's steps.
type RollData struct {
	Programs []ops.Process `json:"programs"`
	Roll     ops.Progress  `json:"roll"`
}

// rollEnded answers a roll: how it ended (why, when it stopped), the
// batches and the processes' states now.
func (b *Backend) rollEnded(ctx context.Context, r roll, progress ops.Progress, stopped string, failure error) (ops.Outcome, error) {
	progress.Finished = true
	progress = ops.RunOf(ctx).Report(progress)
	list := ops.ProgramList{Programs: []ops.Process{}}
	all, readErr := b.client.GetAllProcessInfo(context.WithoutCancel(ctx))
	if readErr == nil {
		list = processes(pick(all, r.sel.procs))
	}
	data := RollData{Programs: list.Programs, Roll: progress}
	done := progress.Count(ops.StepDone)
	head := fmt.Sprintf("Rolled %s on %s: %d batch(es) of %d restarted, each settled, in %s.",
		r.sel.target, b.cfg.Host, done, r.size, progress.Elapsed().Round(100*time.Millisecond))
	if stopped != "" {
		head = fmt.Sprintf("Rolling restart of %s on %s: %d of %d batch(es) done. %s", r.sel.target, b.cfg.Host, done, len(progress.Steps), stopped)
	}
	parts := []ops.Part{ops.Prose(head), ops.RowsTable(progress.Rows()...)}
	if readErr == nil {
		parts = append(parts, ops.ProcessTable(list.Programs))
	} else {
		parts = append(parts, ops.Prose("The processes' states now are not known: supervisord did not answer."))
	}
	if len(r.idle) > 0 {
		parts = append(parts, ops.Prose("Left alone, not running before the roll: "+stateList(r.idle)))
	}
	if r.sel.skipped {
		parts = append(parts, ops.Prose(listenerSkipped))
	}
	if failure != nil {
		return ops.Outcome{}, ops.FailedParts(data, parts...)
	}
	return ops.Parts(data, parts...), nil
}

// stillRunning re-reads batch's processes just before they restart: one
// that stopped since the roll was planned is left alone, as a process
// that was stopped before it.
func (b *Backend) stillRunning(ctx context.Context, batch []ProcessInfo) (running, gone []ProcessInfo, err error) {
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, nil, b.userError(err, strings.Join(names(batch), ", "))
	}
	for _, p := range pick(all, batch) {
		if p.StateName == "RUNNING" {
			running = append(running, p)
		} else {
			gone = append(gone, p)
		}
	}
	return running, gone, nil
}

// restartBatch stops and starts batch's processes and waits until each has
// stayed RUNNING, with its new pid, for settle.
func (b *Backend) restartBatch(ctx context.Context, batch []ProcessInfo, settle time.Duration) error {
	if len(batch) == 0 {
		return nil
	}
	sel := selection{target: strings.Join(names(batch), ", "), kind: "process", procs: batch}
	if err := b.stopBatch(ctx, batch); err != nil {
		return err
	}
	if _, err := b.wait(ctx, sel, stoppedStates); err != nil {
		return err
	}
	// supervisord spawns one process at a time (tens of milliseconds
	// each): the settle time counts from when the starts answer, for the
	// processes RUNNING then, else from when each is first seen RUNNING.
	running, err := b.startBatch(ctx, batch)
	if err != nil {
		return err
	}
	return b.settled(ctx, batch, settle, running)
}

// seen is a process seen RUNNING with pid, first at a time.
type seen struct {
	pid int
	at  time.Time
}

// settled waits until each of procs is RUNNING and has stayed RUNNING with
// the same pid for d, counted from when it was first seen so (running holds
// those seen already). A process that leaves RUNNING, or does not reach it
// within the wait timeout, fails the batch, with why.
func (b *Backend) settled(ctx context.Context, procs []ProcessInfo, d time.Duration, running map[string]seen) error {
	deadline := time.Now().Add(b.cfg.WaitTimeout + d)
	poll := b.poller()
	for {
		all, err := b.client.GetAllProcessInfo(ctx)
		if err != nil {
			return b.userError(err, strings.Join(names(procs), ", "))
		}
		now := time.Now()
		settled := true
		wait := poll()
		for _, p := range pick(all, procs) {
			first, ok := running[fullName(p)]
			switch {
			case p.StateName == "RUNNING" && (!ok || first.pid == p.PID):
				if !ok {
					first = seen{pid: p.PID, at: now}
					running[fullName(p)] = first
				}
				if left := d - now.Sub(first.at); left > 0 {
					settled = false
					wait = min(wait, left)
				}
			case p.StateName == "STARTING" && !ok:
				settled = false // on its way up
			default: // it left RUNNING, or never reached it
				return ops.FailedParts(nil, ops.Prose(b.whyNot(ctx, p)))
			}
		}
		if settled {
			return nil
		}
		if now.After(deadline) {
			return ops.Failedf("%s did not settle within %s", strings.Join(names(procs), ", "), b.cfg.WaitTimeout+d)
		}
		select {
		case <-ctx.Done():
			return ops.Fail(ctx.Err(), "gave up waiting for %s to settle", strings.Join(names(procs), ", "))
		case <-time.After(wait):
		}
	}
}
