package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// groupPIDs returns the pid of each process of group, by name.
func groupPIDs(t *testing.T, b *Backend, group string) map[string]int {
	t.Helper()
	all, err := b.client.GetAllProcessInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range all {
		if p.Group == group {
			out[p.Name] = p.PID
		}
	}
	return out
}

// waitAllRunning waits until every process of group is RUNNING.
func waitAllRunning(t *testing.T, b *Backend, group string, n int) map[string]int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		all, err := b.client.GetAllProcessInfo(context.Background())
		running := 0
		for _, p := range all {
			if p.Group == group && p.StateName == "RUNNING" {
				running++
			}
		}
		if err == nil && running == n {
			return groupPIDs(t, b, group)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d processes of %s running (err %v)", running, n, group, err)
		}
	}
}

// watchDown polls supervisord every few milliseconds until stop is closed
// and returns the most processes of group it ever saw not RUNNING at once.
func watchDown(b *Backend, group string, stop <-chan struct{}) func() int {
	var most atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			all, err := b.client.GetAllProcessInfo(context.Background())
			if err != nil {
				continue
			}
			down := int64(0)
			for _, p := range all {
				if p.Group == group && p.StateName != "RUNNING" {
					down++
				}
			}
			if down > most.Load() {
				most.Store(down)
			}
		}
	})
	return func() int { wg.Wait(); return int(most.Load()) }
}

// TestRollingRestart: four processes, two at a time; polled all along, no
// more than two are ever down, and every pid changes.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", Command: rpcSleeperCmd, NumProcs: 4,
		Extra: map[string]string{"startsecs": "0"}})
	b := newBackend(t, s, 5*time.Second)
	b.cfg.PollInterval = 10 * time.Millisecond
	before := waitAllRunning(t, b, "queue", 4)

	args := []ops.Arg{{Key: "rolling", Value: "true"}, {Key: "batch", Value: "2"}, {Key: "settle", Value: "300ms"}}
	p, err := plan(t, b, "supervisor.program.restart", "queue:*", args...)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "plan", p.Summary, "2 at a time", "batch 1 (settle 300ms): queue:queue_00", "batch 2 (settle 300ms): queue:queue_02")

	stop := make(chan struct{})
	most := watchDown(b, "queue", stop)
	out, err := p.Apply(context.Background())
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if n := most(); n > 2 {
		t.Errorf("%d processes were down at once; the batch is 2", n)
	}
	after := groupPIDs(t, b, "queue")
	for name, pid := range before {
		if after[name] == pid || after[name] == 0 {
			t.Errorf("%s: pid %d → %d, want a new one", name, pid, after[name])
		}
	}
	d, ok := out.Data.(RollData)
	if !ok || len(d.Roll.Steps) != 2 || d.Roll.Count(ops.StepDone) != 2 || !d.Roll.Finished {
		t.Fatalf("data %#v", out.Data)
	}
	mustContain(t, "answer", out.Text(), "Rolled queue:* on test: 2 batch(es) of 2 restarted", "batch 1", "done")
}

// TestRollingRestartStopsAtFailure: the process that does not come back
// stops the roll, named with its state and log; the later ones keep their
// pids; one that was stopped before the roll is left alone.
func TestRollingRestartStopsAtFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", NumProcs: 4, StartSecs: 1,
		Command: `/bin/sh -c "if [ -e ` + dir + `/fail_%(process_num)02d ]; then echo worker cannot start >&2; exit 3; fi; while true; do sleep 600; done"`})
	b := newBackend(t, s, 5*time.Second)
	b.cfg.PollInterval = 20 * time.Millisecond
	waitAllRunning(t, b, "queue", 4)
	if _, err := run(t, b, "supervisor.program.stop", "queue:queue_00"); err != nil {
		t.Fatal(err)
	}
	before := groupPIDs(t, b, "queue")
	if err := os.WriteFile(filepath.Join(dir, "fail_02"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := run(t, b, "supervisor.program.restart", "queue:*",
		ops.Arg{Key: "rolling", Value: "true"}, ops.Arg{Key: "settle", Value: "200ms"})
	msg := wantStatus(t, err, ops.StatusFailed)
	mustContain(t, "answer", msg, "1 of 3 batch(es) done", "stopped at batch 2", "queue_02 is ", "worker cannot start",
		"not restarted: the roll stopped at batch 2", "Left alone, not running before the roll: queue:queue_00 (STOPPED)")
	after := groupPIDs(t, b, "queue")
	if after["queue_01"] == before["queue_01"] {
		t.Errorf("queue_01 (batch 1) kept pid %d", before["queue_01"])
	}
	if after["queue_03"] != before["queue_03"] {
		t.Errorf("queue_03 (after the failure) was restarted: pid %d → %d", before["queue_03"], after["queue_03"])
	}
	if after["queue_00"] != 0 {
		t.Errorf("queue_00 was stopped before the roll and now runs as %d", after["queue_00"])
	}
	var e *ops.Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	d, ok := e.Data.(RollData)
	if !ok || d.Roll.Steps[1].State != ops.StepFailed || d.Roll.Steps[2].State != ops.StepUntouched {
		t.Errorf("data %#v", e.Data)
	}
}

// TestRollingRestartRefuses: bad batches and settle times are invalid and
// restart nothing.
func TestRollingRestartRefuses(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", Command: rpcSleeperCmd, NumProcs: 2,
		Extra: map[string]string{"startsecs": "0"}})
	b := newBackend(t, s, 5*time.Second)
	before := waitAllRunning(t, b, "queue", 2)
	rolling := ops.Arg{Key: "rolling", Value: "true"}
	for _, c := range []struct {
		args []ops.Arg
		say  string
	}{
		{[]ops.Arg{rolling, {Key: "batch", Value: "0"}}, "--batch must be at least 1"},
		{[]ops.Arg{rolling, {Key: "batch", Value: "3"}}, "--batch 3 is more than the 2 process(es)"},
		{[]ops.Arg{rolling, {Key: "settle", Value: "11m"}}, "longer than the 10m0s"},
		{[]ops.Arg{rolling, {Key: "settle", Value: "-1s"}}, "--settle takes a duration"},
		{[]ops.Arg{{Key: "batch", Value: "1"}}, "--batch is for a rolling restart"},
		{[]ops.Arg{{Key: "settle", Value: "1s"}}, "--settle is for a rolling restart"},
	} {
		_, err := run(t, b, "supervisor.program.restart", "queue:*", c.args...)
		if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, c.say) {
			t.Errorf("%v: %q does not say %q", c.args, msg, c.say)
		}
	}
	for name, pid := range groupPIDs(t, b, "queue") {
		if pid != before[name] {
			t.Errorf("a refused roll restarted %s: pid %d → %d", name, before[name], pid)
		}
	}
	if _, err := run(t, b, "supervisor.program.stop", "queue:*"); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, b, "supervisor.program.restart", "queue:*", rolling)
	msg := wantStatus(t, err, ops.StatusInvalid)
	mustContain(t, "nothing running", msg, "nothing to roll")
	mustContain(t, "nothing running", msg, "/supervisor start starts them")
}

// TestRollingRestartWhileStarting: right after supervisord starts (or a
// restart) the processes are STARTING for their startsecs; a roll leaves
// them alone, and says to wait rather than to start them.
func TestRollingRestartWhileStarting(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "slow", Command: rpcSleeperCmd, NumProcs: 2, StartSecs: 30})
	b := newBackend(t, s, 5*time.Second)
	rpcWaitState(t, b.client, "slow:slow_00", "STARTING")
	_, err := run(t, b, "supervisor.program.restart", "slow:*", ops.Arg{Key: "rolling", Value: "true"})
	mustContain(t, "starting", wantStatus(t, err, ops.StatusInvalid), "they are still starting: roll once they are RUNNING")
}

// TestRollingRestartSupervisordGone: supervisord going away in the middle
// of a batch stops the roll, and the answer says at which batch.
func TestRollingRestartSupervisordGone(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", Command: rpcSleeperCmd, NumProcs: 3,
		Extra: map[string]string{"startsecs": "0"}})
	b := newBackend(t, s, 2*time.Second)
	b.cfg.WaitTimeout = 5 * time.Second
	before := waitAllRunning(t, b, "queue", 3)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, b, "supervisor.program.restart", "queue:*",
			ops.Arg{Key: "rolling", Value: "true"}, ops.Arg{Key: "settle", Value: "1m"})
		done <- err
	}()
	// Batch 1 has restarted queue_00 and waits for it to settle: take
	// supervisord away then.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if now := groupPIDs(t, b, "queue"); now["queue_00"] != 0 && now["queue_00"] != before["queue_00"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("batch 1 never restarted queue_00")
		}
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		msg := wantStatus(t, err, ops.StatusFailed)
		mustContain(t, "answer", msg, "0 of 3 batch(es) done", "The roll stopped at batch 1", "not restarted: the roll stopped at batch 1", "states now are not known")
	case <-time.After(60 * time.Second):
		t.Fatal("the roll did not stop when supervisord went away")
	}
}

// TestRollingRestartSettlesForStartsecs: without --settle, a batch settles
// for its programs' startsecs + 1 s, as supervisord reports startsecs
// (an XML-RPC int, decoded as int64).
func TestRollingRestartSettlesForStartsecs(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", Command: rpcSleeperCmd, NumProcs: 2, StartSecs: 2})
	b := newBackend(t, s, 5*time.Second)
	waitAllRunning(t, b, "queue", 2)
	p, err := plan(t, b, "supervisor.program.restart", "queue:*", ops.Arg{Key: "rolling", Value: "true"})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "plan", p.Summary, "batch 1 (settle 3s): queue:queue_00", "batch 2 (settle 3s): queue:queue_01")
}

// TestRollingRestartBatchLargerThanAMulticall: a batch of more processes
// than one multicall carries is stopped and started in several, and still
// never has more than its size down.
func TestRollingRestartBatchLargerThanAMulticall(t *testing.T) {
	t.Parallel()
	n := maxMulticall + 2
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", Command: rpcSleeperCmd, NumProcs: n,
		Extra: map[string]string{"startsecs": "0"}})
	b := newBackend(t, s, 10*time.Second)
	b.cfg.PollInterval = 10 * time.Millisecond
	before := waitAllRunning(t, b, "queue", n)
	stop := make(chan struct{})
	most := watchDown(b, "queue", stop)
	_, err := run(t, b, "supervisor.program.restart", "queue:*", ops.Arg{Key: "rolling", Value: "true"},
		ops.Arg{Key: "batch", Value: fmt.Sprint(n - 1)}, ops.Arg{Key: "settle", Value: "100ms"})
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if got := most(); got > n-1 {
		t.Errorf("%d processes were down at once; the batch is %d", got, n-1)
	}
	after := groupPIDs(t, b, "queue")
	for name, pid := range before {
		if after[name] == pid || after[name] == 0 {
			t.Errorf("%s: pid %d → %d, want a new one", name, pid, after[name])
		}
	}
}

// TestMulticallFaults: each call of a multicall answers on its own: a
// fault is a *Fault in its place, the others their values; stopping a
// process already stopped is no error for a batch.
func TestMulticallFaults(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "queue", Command: rpcSleeperCmd, NumProcs: 2,
		Extra: map[string]string{"startsecs": "0"}})
	b := newBackend(t, s, 5*time.Second)
	waitAllRunning(t, b, "queue", 2)
	ctx := context.Background()
	res, err := b.client.multicall(ctx, []rpcCall{
		{"supervisor.stopProcess", []any{"queue:nope", false}},
		{"supervisor.getState", []any{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := res[0].(*Fault); !ok || f.Code != FaultBadName {
		t.Errorf("result 0: %#v, want a BAD_NAME fault", res[0])
	}
	if m, ok := res[1].(map[string]any); !ok || m["statename"] != "RUNNING" {
		t.Errorf("result 1: %#v", res[1])
	}
	procs := groupPIDs(t, b, "queue")
	if len(procs) != 2 {
		t.Fatalf("%v", procs)
	}
	batch := []ProcessInfo{{Group: "queue", Name: "queue_00"}}
	if err := b.stopBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := b.wait(ctx, selection{target: "queue_00", kind: "process", procs: batch}, stoppedStates); err != nil {
		t.Fatal(err)
	}
	if err := b.stopBatch(ctx, batch); err != nil {
		t.Errorf("stopping a stopped process: %v", err)
	}
	running, err := b.startBatch(ctx, batch)
	if err != nil || running["queue:queue_00"].pid == 0 || running["queue:queue_00"].pid == procs["queue_00"] {
		t.Errorf("start: %v %v (pid before %d)", running, err, procs["queue_00"])
	}
	if _, err := b.startBatch(ctx, []ProcessInfo{{Group: "queue", Name: "nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("starting no such process: %v", err)
	}
}
