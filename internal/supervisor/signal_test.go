package supervisor

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestSignal: a running program gets the signal and keeps running (a
// worker that reloads on HUP); a stopping signal is gated as a stop and
// ends the process; a program that does not run is not signalled.
func TestSignal(t *testing.T) {
	t.Parallel()
	no := false
	s := sandbox.Supervisor(t,
		sandbox.Program{Name: "worker", Command: `/bin/sh -c "trap 'echo reloaded' HUP; while true; do sleep 1; done"`,
			Extra: map[string]string{"startsecs": "0", "autorestart": "false"}},
		sandbox.Program{Name: "idle", Command: "/bin/true", Autostart: &no},
	)
	b := newBackend(t, s, 5*time.Second)
	before := rpcWaitState(t, b.client, "worker:worker", "RUNNING")

	p, err := plan(t, b, "supervisor.program.signal", "worker", ops.Arg{Key: "signal", Value: "sighup"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Effects) != 0 || !strings.Contains(p.Summary, "send SIGHUP to worker") {
		t.Errorf("HUP plan: effects %v, summary %q", p.Effects, p.Summary)
	}
	out, err := run(t, b, "supervisor.program.signal", "worker", ops.Arg{Key: "signal", Value: "HUP"})
	if err != nil {
		t.Fatal(err)
	}
	if got := states(out); got["worker"] != "RUNNING" {
		t.Errorf("after HUP: %v", got)
	}
	log := filepath.Join(s.LogDir, "worker.log")
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(log)
		if strings.Contains(string(data), "reloaded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never logged its HUP:\n%s", data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if now := rpcWaitState(t, b.client, "worker:worker", "RUNNING"); now.PID != before.PID {
		t.Errorf("HUP restarted the worker: pid %d → %d", before.PID, now.PID)
	}

	_, err = run(t, b, "supervisor.program.signal", "idle", ops.Arg{Key: "signal", Value: "HUP"})
	mustContain(t, "signal to a stopped program", wantStatus(t, err, ops.StatusInvalid), "no process of idle is running")
	_, err = run(t, b, "supervisor.program.signal", "worker", ops.Arg{Key: "signal", Value: "STOP"})
	mustContain(t, "an unknown signal", wantStatus(t, err, ops.StatusInvalid), "not a signal")

	p, err = plan(t, b, "supervisor.program.signal", "worker", ops.Arg{Key: "signal", Value: "TERM"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Effects, "supervisor.program.stop") {
		t.Errorf("TERM is not gated as a stop: %v", p.Effects)
	}
	if _, err := p.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := rpcWaitState(t, b.client, "worker:worker", "EXITED"); st.StateName != "EXITED" {
		t.Errorf("after TERM the worker is %s", st.StateName)
	}
}
