// Package rolltest is a rolling restart that the chat adapters' tests step
// through: it reports its progress as the Supervisor backend's roll does
// (before the first batch, as each batch begins and ends, and at the end),
// and each batch ends only when the test says so, so a test can look at
// the progress message, press Cancel mid-run, and never sleep.
package rolltest

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Roller is one rolling restart of Steps batches, one process each.
type Roller struct {
	Steps int
	next  chan struct{}
	// reports counts the reports the roll made itself (not the one a
	// cancel sends again).
	reports atomic.Int32
}

// New returns a roll of steps batches.
func New(steps int) *Roller { return &Roller{Steps: steps, next: make(chan struct{})} }

// Next lets the batch running now end. It blocks until the roll takes it.
func (r *Roller) Next() { r.next <- struct{}{} }

// Reports is how many reports the roll made.
func (r *Roller) Reports() int { return int(r.reports.Load()) }

// Apply runs the roll under the run in ctx and answers as the Supervisor
// backend does: data with the processes and the roll, a body of prose, the
// steps' rows and the process table.
func (r *Roller) Apply(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	run := ops.RunOf(ctx)
	report := func(p ops.Progress) ops.Progress {
		r.reports.Add(1)
		return run.Report(p)
	}
	p := ops.Progress{Title: "Rolling restart of " + req.Op.Target + " on test"}
	for i := range r.Steps {
		p.Steps = append(p.Steps, ops.Step{Name: fmt.Sprintf("batch %d", i+1), Items: []string{fmt.Sprintf("web:web_%02d", i)}, State: ops.StepWaiting})
	}
	report(p)
	head := fmt.Sprintf("Rolled %s on test: %d batch(es) restarted.", req.Op.Target, r.Steps)
	for i := range p.Steps {
		if by, ok := run.Cancelled(); ok {
			for j := i; j < len(p.Steps); j++ {
				p.Steps[j].State, p.Steps[j].Note = ops.StepUntouched, "cancelled by "+by
			}
			head = fmt.Sprintf("Rolling restart of %s on test: %d of %d batch(es) done. Cancelled by %s before batch %d.",
				req.Op.Target, i, r.Steps, by, i+1)
			break
		}
		p.Steps[i].State = ops.StepRunning
		report(p)
		select {
		case <-r.next:
		case <-ctx.Done():
			return ops.Outcome{}, ctx.Err()
		}
		p.Steps[i].State = ops.StepDone
		report(p)
	}
	p.Finished = true
	p = report(p)
	procs := []ops.Process{{Name: "web", Group: "web", State: "RUNNING", PID: 200, Uptime: 1}}
	return ops.Parts(map[string]any{"programs": procs, "roll": p},
		ops.Prose(head), ops.RowsTable(p.Rows()...), ops.ProcessTable(procs)), nil
}
