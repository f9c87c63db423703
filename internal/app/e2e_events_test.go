package app_test

import (
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

	r := e.want("alice", "supervisor events enable", "ok", 0)
	if _, ok := r.programs(t)["poolvisor-events RUNNING"]; !ok {
		t.Fatalf("listener not running: %s\n%s", r.Data, r.Message)
	}
	e.want("alice", "supervisor events enable", "invalid", 2) // already installed
	e.want("olga", "supervisor stop web", "ok", 0)
	deadline := time.Now().Add(settle)
	for !strings.Contains(logs.String(), "event=PROCESS_STATE_STOPPED process=web:web") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not receive the stop event:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.want("alice", "supervisor events disable", "ok", 0)
	if got := e.want("vic", "supervisor status", "ok", 0).programs(t); len(got) != 1 {
		t.Errorf("after disable: %v", got)
	}
}
