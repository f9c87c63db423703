package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// Helpers here are prefixed rpc so they do not collide with the test
// helpers of the backend files of this package.

const rpcSleeperCmd = `/bin/sh -c "while true; do sleep 600; done"`

// rpcClient returns a client for the sandboxed daemon.
func rpcClient(t *testing.T, s *sandbox.Supervisord, timeout time.Duration) *Client {
	t.Helper()
	c, err := NewClient(s.URL, "", "", timeout)
	if err != nil {
		t.Fatalf("NewClient(%q): %v", s.URL, err)
	}
	return c
}

// rpcScript writes a shell script and returns the command that runs it,
// which keeps quoting out of supervisord's command line.
func rpcScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return "/bin/sh " + path
}

// rpcSettle bounds the waits of these tests: generous, so that only a
// failure reaches it, however busy the machine.
const rpcSettle = time.Minute

// rpcWaitState polls until the process has the wanted state name.
func rpcWaitState(t *testing.T, c *Client, name, want string) ProcessInfo {
	t.Helper()
	deadline := time.Now().Add(rpcSettle)
	for {
		info, err := c.GetProcessInfo(context.Background(), name)
		if err == nil && info.StateName == want {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %q (err %v), want %s", name, info.StateName, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rpcWaitUp polls until supervisord answers RUNNING, e.g. after a restart.
func rpcWaitUp(t *testing.T, c *Client) {
	t.Helper()
	deadline := time.Now().Add(rpcSettle)
	for {
		_, name, err := c.GetState(context.Background())
		if err == nil && name == "RUNNING" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("supervisord not back: state %q, err %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func assertUnreachable(t *testing.T, err error, url string) *UnreachableError {
	t.Helper()
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("got %T %v, want *UnreachableError", err, err)
	}
	if ue.URL != url || !strings.Contains(err.Error(), url) {
		t.Errorf("error %q does not name %s", err, url)
	}
	return ue
}

func TestClientUnreachableSocket(t *testing.T) {
	t.Parallel()
	url := "unix://" + filepath.Join(t.TempDir(), "missing.sock")
	c, err := NewClient(url, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetState(context.Background())
	// ENOENT, not a deadline: the call did not wait for its timeout.
	ue := assertUnreachable(t, err, url)
	if !errors.Is(ue, syscall.ENOENT) {
		t.Errorf("cause %v, want ENOENT", ue.Err)
	}
}

func TestClientAfterKillAndRestart(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	c := rpcClient(t, s, 2*time.Second)
	ctx := context.Background()
	if _, _, err := c.GetState(ctx); err != nil {
		t.Fatalf("GetState: %v", err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.GetState(ctx)
	// Refused, not a deadline: the call did not wait for its timeout.
	if ue := assertUnreachable(t, err, s.URL); errors.Is(ue, context.DeadlineExceeded) {
		t.Errorf("cause %v, want the connection refused", ue.Err)
	}

	again, err := sandbox.StartSupervisord(s.Dir)
	if err != nil {
		t.Fatalf("restart supervisord: %v", err)
	}
	t.Cleanup(func() { _ = again.Stop() })
	pid, err := c.GetPID(ctx)
	if err != nil || pid != again.PID {
		t.Fatalf("GetPID after restart = %d, %v; want %d", pid, err, again.PID)
	}
}

// assertTimeout checks that err says supervisord took the call and did not
// answer in time, and does not call it unreachable.
func assertTimeout(t *testing.T, err error, url string) *TimeoutError {
	t.Helper()
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("got %T %v, want *TimeoutError", err, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || te.URL != url ||
		!strings.Contains(err.Error(), "did not answer within") || strings.Contains(err.Error(), "unreachable") {
		t.Errorf("timeout error %q", err)
	}
	return te
}

func TestClientHungDaemon(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t)
	// Long enough that connecting and sending the request, which the kernel
	// does for a stopped daemon, fit in it on a busy machine.
	const timeout = 2 * time.Second
	c := rpcClient(t, s, timeout)
	ctx := context.Background()
	if err := syscall.Kill(s.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(s.PID, syscall.SIGCONT)
		}
	}
	defer resume()

	_, _, err := c.GetState(ctx)
	if te := assertTimeout(t, err, s.URL); te.After < timeout || !strings.Contains(te.Doing, "supervisor.getState") {
		t.Errorf("timeout after %s while %q, want at least %s answering supervisor.getState", te.After, te.Doing, timeout)
	}

	// A caller's earlier deadline wins over the client's timeout: with an
	// hour's timeout, returning at all shows it. (Whether the request was
	// sent before the short deadline passed depends on the machine's load,
	// so the error may be either kind.)
	patient := rpcClient(t, s, time.Hour)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, _, err = patient.GetState(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with the caller's deadline: %v, want it exceeded", err)
	}

	resume()
	rpcWaitUp(t, c)
}

// TestClientWaitingCallOutlastsTimeout stops, with wait, a program that
// ignores SIGTERM: supervisord answers after stopwaitsecs and a kill, longer
// than the client's timeout, and the call is given that long.
func TestClientWaitingCallOutlastsTimeout(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{
		Name:    "stubborn",
		Command: `/bin/sh -c "trap '' TERM; while true; do sleep 1; done"`,
		Extra:   map[string]string{"stopwaitsecs": "2", "stopasgroup": "false", "killasgroup": "true"},
	})
	c := rpcClient(t, s, 500*time.Millisecond)
	rpcWaitState(t, c, "stubborn", "RUNNING")
	if err := c.StopProcess(context.Background(), "stubborn", true); err != nil {
		t.Fatalf("waiting stop: %v", err)
	}
	if info, err := c.GetProcessInfo(context.Background(), "stubborn"); err != nil || info.StateName != "STOPPED" {
		t.Errorf("after a waiting stop: %s, %v", info.StateName, err)
	}
}

func TestWaitForName(t *testing.T) {
	tests := []struct {
		start bool
		name  string
		want  waitFor
		doing string
	}{
		{true, "web", waitFor{true, "web", "web"}, "starting web:web"},
		{false, "queue:queue_01", waitFor{false, "queue", "queue_01"}, "stopping queue:queue_01"},
		{false, "queue:*", waitFor{false, "queue", ""}, "stopping group queue"},
	}
	for _, tt := range tests {
		got := waitForName(tt.start, tt.name)
		if got != tt.want || got.String() != tt.doing {
			t.Errorf("waitForName(%v, %q) = %+v %q, want %+v %q", tt.start, tt.name, got, got, tt.want, tt.doing)
		}
	}
	if got := (waitFor{}).String(); got != "stopping all processes" {
		t.Errorf("all: %q", got)
	}
}

func TestClientCallerCancel(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t)
	c := rpcClient(t, s, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.GetState(ctx)
	var ue *UnreachableError
	if !errors.Is(err, context.Canceled) || errors.As(err, &ue) {
		t.Errorf("got %v, want context.Canceled and not unreachable", err)
	}
	rpcWaitUp(t, c)
}

func TestClientDaemonDiesMidRequest(t *testing.T) {
	t.Parallel()
	// The program ignores SIGTERM, so a waiting stopProcess call blocks for
	// stopwaitsecs; the daemon is killed meanwhile.
	s := sandbox.Supervisor(t, sandbox.Program{
		Name:    "stubborn",
		Command: `/bin/sh -c "trap '' TERM; while true; do sleep 1; done"`,
		Extra:   map[string]string{"stopwaitsecs": "30", "stopasgroup": "false", "killasgroup": "false"},
	})
	c := rpcClient(t, s, 10*time.Second)
	rpcWaitState(t, c, "stubborn", "RUNNING")
	errc := make(chan error, 1)
	go func() { errc <- c.StopProcess(context.Background(), "stubborn", true) }()
	rpcWaitState(t, c, "stubborn", "STOPPING")
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		assertUnreachable(t, err, s.URL)
	case <-time.After(rpcSettle):
		t.Fatal("call did not return after the daemon died")
	}
}
