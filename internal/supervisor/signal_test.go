package supervisor

import (
	"fmt"
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
	mark := filepath.Join(t.TempDir(), "reloaded")
	s := sandbox.Supervisor(t,
		// Python, whose handler runs whenever the signal comes; dash's trap
		// loses a signal that arrives while it forks its sleep.
		sandbox.Program{Name: "worker", Command: `/usr/bin/python3 -c "import signal, time; ` +
			`signal.signal(signal.SIGHUP, lambda s, f: open('` + mark + `', 'a').write('reloaded')); exec('while True: time.sleep(1)')"`,
			Extra: map[string]string{"startsecs": "0", "autorestart": "false"}},
		sandbox.Program{Name: "idle", Command: "/bin/true", Autostart: &no},
		sandbox.Program{Name: "plain", Command: `/bin/sh -c "while true; do sleep 1; done"`, Extra: map[string]string{"startsecs": "0"}},
	)
	b := newBackend(t, s, 5*time.Second)
	before := rpcWaitState(t, b.client, "worker:worker", "RUNNING")
	// RUNNING comes at once (startsecs=0), even before the fork has become
	// python (until then the child has supervisord's own HUP handler); the
	// handler is set a moment later: wait for the kernel to show both.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", before.PID))
		if ok, _ := handled(before.PID, 1); ok && strings.Contains(string(cmd), "signal.SIGHUP") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never set its HUP handler")
		}
	}

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
	log := mark
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(log)
		if strings.Contains(string(data), "reloaded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never got its HUP (%s): %q", log, data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if now := rpcWaitState(t, b.client, "worker:worker", "RUNNING"); now.PID != before.PID {
		t.Errorf("HUP restarted the worker: pid %d → %d", before.PID, now.PID)
	}

	// A program that does not handle HUP ends on it: gated as a stop.
	pl := rpcWaitState(t, b.client, "plain:plain", "RUNNING")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pl.PID)); strings.Contains(string(cmd), "while true") {
			break // the fork has become the shell, with its own dispositions
		}
		if time.Now().After(deadline) {
			t.Fatal("plain never started its shell")
		}
	}
	p, err = plan(t, b, "supervisor.program.signal", "plain", ops.Arg{Key: "signal", Value: "HUP"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Effects, "supervisor.program.stop") || !strings.Contains(p.Summary, "does not handle SIGHUP") {
		t.Errorf("HUP to a program without a handler: effects %v, summary %q", p.Effects, p.Summary)
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

// TestForkOfSupervisord: a process with supervisord's own command line (its
// fork before exec; here supervisord itself) has handlers that are not the
// program's, so a reload signal to it is judged as ending it.
func TestForkOfSupervisord(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "w", Command: `/bin/sh -c "while true; do sleep 1; done"`})
	b := newBackend(t, s, 5*time.Second)
	spid, err := b.client.GetPID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !b.forkOfSupervisord(t.Context(), spid) || b.ends(t.Context(), spid, "HUP") == "" {
		t.Error("supervisord's own command line is not taken for its fork")
	}
	w := rpcWaitState(t, b.client, "w:w", "RUNNING")
	for deadline := time.Now().Add(10 * time.Second); b.forkOfSupervisord(t.Context(), w.PID); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the program never left supervisord's fork")
		}
	}
}
