package app_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// The event listener runs under supervisord as `poolvisor events` and
// forwards state changes to a running serve.
func TestEventListenerEndToEnd(t *testing.T) {
	e := newEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	e.waitRunning("web")
	_, logs := e.serveLogged(t, "POOLVISOR_LOG_LEVEL=debug")

	// supervisord runs the listener as root: a poolvisor binary that
	// others could replace is refused, and nothing is installed.
	t.Run("a binary others can replace is refused", func(t *testing.T) {
		open := filepath.Join(t.TempDir(), "open")
		if err := os.Mkdir(open, 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, binary, filepath.Join(open, "poolvisor"))
		copyFile(t, binary+"d", filepath.Join(open, "poolvisord")) // what runs exec directly
		if err := os.Chmod(open, 0o777); err != nil {
			t.Fatal(err)
		}
		// poolvisord is what installs itself as the listener.
		cmd := exec.Command(filepath.Join(open, "poolvisord"), "exec", "--config", e.config, "--as", "alice", "--", "supervisor events enable")
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "writable by its group or by others") {
			t.Errorf("events enable from a replaceable binary: %v\n%s", err, out)
		}
		// The thin client, as root, does not even hand over to it.
		cmd = exec.Command(filepath.Join(open, "poolvisor"), "exec", "--config", e.config, "--as", "alice", "--", "supervisor events enable")
		out, err = cmd.CombinedOutput()
		if os.Geteuid() == 0 && (cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "is not root's alone")) {
			t.Errorf("the thin client handed over to a replaceable poolvisord: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(e.sv.ProgramDir, "poolvisor-events.conf")); err == nil {
			t.Errorf("the listener was installed")
		}
	})

	r := e.want("alice", "supervisor events enable", "ok", 0)
	if _, ok := r.programs(t)["poolvisor-events RUNNING"]; !ok {
		t.Fatalf("listener not running: %s\n%s", r.Data, r.Message)
	}
	e.want("alice", "supervisor events enable", "invalid", 2) // already installed
	e.approved("olga", "alice", "supervisor stop web")
	deadline := time.Now().Add(settle)
	for !strings.Contains(logs.String(), "event=PROCESS_STATE_STOPPED process=web:web") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not receive the stop event:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.approved("alice", "bob", "supervisor events disable") // it stops the listener: held like a stop
	if got := e.want("vic", "supervisor status", "ok", 0).programs(t); len(got) != 1 {
		t.Errorf("after disable: %v", got)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
