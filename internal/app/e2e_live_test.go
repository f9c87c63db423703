package app_test

import (
	"encoding/json"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestStatusFromLiveState: with the event listener running, a status
// through serve's socket is answered from serve's live state, says what
// supervisord says, and follows a change made outside poolvisor once its
// event arrives.
func TestStatusFromLiveState(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "p.sock")
	e := newEnvWith(t, envOptions{socket: sock, bindings: "    - {role: viewer, local_users: [" + me.Username + "]}\n"},
		sandbox.Program{Name: "web", Command: loop("serving")}, sandbox.Program{Name: "api", Command: loop("serving")})
	e.waitRunning("web", "api")
	_, logs := e.serveLogged(t, "POOLVISOR_LOG_LEVEL=debug")
	e.want("alice", "supervisor events enable", "ok", 0)

	waitLog := func(what string, from int) {
		t.Helper()
		deadline := time.Now().Add(settle)
		for !strings.Contains(logs.String()[from:], what) {
			if time.Now().After(deadline) {
				t.Fatalf("serve did not log %q:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// status asks serve through the socket, or supervisord (--direct).
	status := func(direct bool) map[string]int {
		t.Helper()
		args := []string{"exec", "--socket", sock, "--config", e.config, "--json", "--verbose"}
		if direct {
			args = append(args, "--direct")
		}
		cmd := exec.Command(binary, append(args, "--", "supervisor status")...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if via := "through serve on " + sock; direct == strings.Contains(stderr.String(), via) {
			t.Fatalf("status (direct %v): %s", direct, stderr.String())
		}
		if err != nil {
			t.Fatalf("status (direct %v): %v: %s", direct, err, out)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("status (direct %v): %v: %s", direct, err, out)
		}
		return r.programs(t)
	}
	same := func(a, b map[string]int) bool {
		if len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || w != v {
				return false
			}
		}
		return true
	}
	waitLog("live state current", 0)

	// The listener's own start events may make it not current for a
	// moment after: ask until a read is answered from it.
	var live map[string]int
	deadline := time.Now().Add(settle)
	for {
		mark := len(logs.String())
		live = status(false)
		if strings.Contains(logs.String()[mark:], "read answered from the live state") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no status was answered from the live state:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if direct := status(true); !same(live, direct) {
		t.Errorf("the live state says %v, supervisord %v", live, direct)
	}

	// A group added outside poolvisor that does not start: no process
	// changes state, PROCESS_GROUP_ADDED says it.
	if _, err := e.sv.WriteProgram(sandbox.Program{Name: "idle", Command: loop("idle"), Autostart: new(bool)}); err != nil {
		t.Fatal(err)
	}
	mark := len(logs.String())
	if out, err := exec.Command("supervisorctl", "-c", e.sv.ConfigFile, "update").CombinedOutput(); err != nil {
		t.Fatalf("supervisorctl update: %v: %s", err, out)
	}
	waitLog("event=PROCESS_GROUP_ADDED", mark) // not the periodic reconciliation
	deadline = time.Now().Add(settle)
	for {
		if _, ok := status(false)["idle STOPPED"]; ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve does not show a group added outside poolvisor:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Stopped outside poolvisor: the event makes serve ask supervisord.
	if out, err := exec.Command("supervisorctl", "-c", e.sv.ConfigFile, "stop", "web").CombinedOutput(); err != nil {
		t.Fatalf("supervisorctl stop: %v: %s", err, out)
	}
	deadline = time.Now().Add(settle)
	for {
		got := status(false)
		if _, ok := got["web STOPPED"]; ok {
			if direct := status(true); !same(got, direct) {
				t.Errorf("after the stop, serve says %v, supervisord %v", got, direct)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve still says %v after web was stopped", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
