package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/supervisor"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// The rolling restart measured (issue 17): 20 processes, 5 at a time, each
// RUNNING for 1 s before the next batch.
const (
	rollProcs  = 20
	rollBatch  = 5
	rollSettle = time.Second
)

// rollPair pairs a rolling restart against the sum of its settle times,
// the least any roll can take: the ratio is 1 + the roll's own overhead
// (stopping, starting, noticing each state) over the settling.
func rollPair(ctx context.Context, stderr io.Writer) (p, raw pair, stop func(), err error) {
	dir, err := os.MkdirTemp("", "poolvisor-bench-roll-")
	if err != nil {
		return pair{}, pair{}, nil, err
	}
	sv, err := sandbox.StartSupervisord(dir, sandbox.Program{Name: "queue", NumProcs: rollProcs,
		Command: `/bin/sh -c "while true; do sleep 600; done"`, Extra: map[string]string{"startsecs": "0"}})
	if err != nil {
		os.RemoveAll(dir)
		return pair{}, pair{}, nil, err
	}
	stop = func() {
		if err := sv.Stop(); err != nil {
			fmt.Fprintln(stderr, "stop supervisord:", err)
		}
		os.RemoveAll(dir)
	}
	if err := waitRunning(ctx, sv, rollProcs); err != nil {
		stop()
		return pair{}, pair{}, nil, err
	}
	b, err := supervisor.New(supervisor.Config{Host: "bench", URL: sv.URL, ConfigFile: sv.ConfigFile,
		ProgramDir: sv.ProgramDir, LogDir: sv.LogDir, Policy: writepolicy.Policy{ProgramUsers: []string{"root"}}},
		slog.New(slog.DiscardHandler))
	if err != nil {
		stop()
		return pair{}, pair{}, nil, err
	}
	restart := b.Handlers()["supervisor.program.restart"]
	batches := (rollProcs + rollBatch - 1) / rollBatch
	floor := time.Duration(batches) * rollSettle
	p = pair{
		title:  fmt.Sprintf("rolling restart, %d processes %d at a time, %s settle, vs the sum of settle times", rollProcs, rollBatch, rollSettle),
		target: 1.10, warmup: 0, n: 3,
		a: side{name: fmt.Sprintf("restart queue:* --rolling --batch %d --settle %s", rollBatch, rollSettle), run: func(ctx context.Context) error {
			op := ops.Operation{Name: "supervisor.program.restart", Target: "queue:*", Args: []ops.Arg{
				{Key: "rolling", Value: "true"}, {Key: "batch", Value: fmt.Sprint(rollBatch)}, {Key: "settle", Value: rollSettle.String()}}}
			plan, err := restart.Plan(ctx, ops.Request{Op: op})
			if err != nil {
				return err
			}
			_, err = plan.Apply(ctx)
			return err
		}},
		b: side{name: fmt.Sprintf("%d batches × %s settle", batches, rollSettle), run: func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(floor):
				return nil
			}
		}},
	}
	// The same roll by hand over raw XML-RPC, as a script would do it:
	// stop and start each process of a batch (supervisord spawns them one
	// at a time), then sleep the settle time. What the roll takes beyond
	// this is poolvisor's own.
	c, err := supervisor.NewClient(sv.URL, "", "", 0)
	if err != nil {
		stop()
		return pair{}, pair{}, nil, err
	}
	raw = pair{
		title:  fmt.Sprintf("rolling restart, %d processes %d at a time, vs the same by hand over raw XML-RPC", rollProcs, rollBatch),
		target: 1.10, warmup: 0, n: 3,
		a: p.a,
		b: side{name: "stopProcess + startProcess per batch, then sleep the settle time", run: func(ctx context.Context) error {
			for i := 0; i < rollProcs; i += rollBatch {
				for j := i; j < i+rollBatch; j++ {
					if err := c.StopProcess(ctx, fmt.Sprintf("queue:queue_%02d", j), true); err != nil {
						return err
					}
				}
				for j := i; j < i+rollBatch; j++ {
					if err := c.StartProcess(ctx, fmt.Sprintf("queue:queue_%02d", j), true); err != nil {
						return err
					}
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(rollSettle):
				}
			}
			return nil
		}},
	}
	return p, raw, stop, nil
}
