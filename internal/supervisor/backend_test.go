package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

func newBackend(t *testing.T, s *sandbox.Supervisord, callTimeout time.Duration) *Backend {
	t.Helper()
	b, err := New(Config{
		Host: "test", URL: s.URL, ConfigFile: s.ConfigFile, ProgramDir: s.ProgramDir, LogDir: s.LogDir,
		CallTimeout: callTimeout, WaitTimeout: time.Minute, PollInterval: 50 * time.Millisecond,
		// The sandbox's programs run as the test's user, root in CI.
		Policy: writepolicy.Policy{ProgramUsers: []string{"root", "nobody"}},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run plans and applies op the way the pipeline does, without RBAC.
func run(t *testing.T, b *Backend, name, target string, args ...ops.Arg) (ops.Outcome, error) {
	t.Helper()
	h := b.Handlers()[name]
	plan, err := h.Plan(context.Background(), ops.Request{Op: ops.Operation{Name: name, Target: target, Args: args}})
	if err != nil {
		return ops.Outcome{}, err
	}
	return plan.Apply(context.Background())
}

func wantStatus(t *testing.T, err error, want ops.Status) string {
	t.Helper()
	got, msg := ops.StatusOK, ""
	if err != nil {
		got, msg = ops.UserError(err)
	}
	if got != want {
		t.Fatalf("status %s (%s), want %s", got, msg, want)
	}
	return msg
}

func states(out ops.Outcome) map[string]string {
	m := map[string]string{}
	if l, ok := out.Data.(ops.ProgramList); ok {
		for _, p := range l.Programs {
			m[p.Name] = p.State
		}
	}
	return m
}

func TestBackendRecoversWhenSupervisordReturns(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2*time.Second)
	if _, err := run(t, b, "supervisor.program.list", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, b, "supervisor.program.list", "")
	if msg := wantStatus(t, err, ops.StatusFailed); !strings.Contains(msg, s.URL) {
		t.Errorf("message %q does not name %s", msg, s.URL)
	}
	if h := b.Health(context.Background()); h.OK {
		t.Errorf("health ok while supervisord is dead: %+v", h)
	}
	again, err := sandbox.StartSupervisord(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Stop() })
	if _, err := run(t, b, "supervisor.program.list", ""); err != nil {
		t.Fatalf("after supervisord came back: %v", err)
	}
}

func TestBackendHungSupervisord(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t)
	b := newBackend(t, s, 2*time.Second) // room to connect and send, which the kernel does for a stopped daemon
	if err := syscall.Kill(s.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(s.PID, syscall.SIGCONT)
	_, err := run(t, b, "supervisor.service.status", "")
	if msg := wantStatus(t, err, ops.StatusFailed); !strings.Contains(msg, "did not answer within") || strings.Contains(msg, "is it running") {
		t.Errorf("message %q", msg)
	}
}

func TestBackendLogs(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t,
		sandbox.Program{Name: "binary", Command: `/bin/sh -c "printf 'caf\303\251 \377\376 \033[1mbold\033[0m\n'; sleep 60"`},
		sandbox.Program{Name: "quiet", Command: rpcSleeperCmd},
	)
	b := newBackend(t, s, 2*time.Second)
	rpcWaitState(t, b.client, "binary:binary", "RUNNING")
	out, err := run(t, b, "supervisor.program.logs", "binary", ops.Arg{Key: "bytes", Value: "6"})
	wantStatus(t, err, ops.StatusOK)
	if strings.ContainsAny(out.Message, "\x1b") {
		t.Errorf("6-byte tail: %q", out.Message)
	}
	out, err = run(t, b, "supervisor.program.logs", "binary")
	wantStatus(t, err, ops.StatusOK)
	if !strings.Contains(out.Message, "café \uFFFD bold") {
		t.Errorf("tail: %q", out.Message)
	}
	_, err = run(t, b, "supervisor.program.logs", "quiet", ops.Arg{Key: "stderr", Value: "true"})
	if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "redirect_stderr") {
		t.Errorf("stderr of a program with redirect_stderr: %q", msg)
	}
	_, err = run(t, b, "supervisor.program.logs", "nope")
	wantStatus(t, err, ops.StatusInvalid)
}

func TestBackendRereadAndUpdateTouchOnlyTheirGroup(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t,
		sandbox.Program{Name: "keep", Command: rpcSleeperCmd},
		sandbox.Program{Name: "drop", Command: rpcSleeperCmd},
	)
	b := newBackend(t, s, 2*time.Second)
	keep := rpcWaitState(t, b.client, "keep:keep", "RUNNING")
	rpcWaitState(t, b.client, "drop:drop", "RUNNING")
	if _, err := s.WriteProgram(sandbox.Program{Name: "fresh", Command: rpcSleeperCmd}); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, b, "supervisor.service.reread", "")
	wantStatus(t, err, ops.StatusOK)
	if !strings.Contains(out.Message, "added: fresh") {
		t.Errorf("reread: %q", out.Message)
	}
	if _, err := b.client.GetProcessInfo(context.Background(), "fresh:fresh"); !IsFault(err, FaultBadName) {
		t.Errorf("reread applied something: %v", err)
	}
	_, err = run(t, b, "supervisor.service.update", "fresh")
	wantStatus(t, err, ops.StatusOK)
	rpcWaitState(t, b.client, "fresh:fresh", "RUNNING")
	if now := rpcWaitState(t, b.client, "keep:keep", "RUNNING"); now.PID != keep.PID {
		t.Errorf("update fresh restarted keep")
	}
}

func TestBackendControlFaults(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd, NumProcs: 2})
	b := newBackend(t, s, 2*time.Second)
	rpcWaitState(t, b.client, "web:web_00", "RUNNING")
	rpcWaitState(t, b.client, "web:web_01", "RUNNING")
	for _, tt := range []struct {
		name, op, target string
		want             ops.Status
	}{
		{"unknown program", "supervisor.program.stop", "nope", ops.StatusInvalid},
		{"unknown process in group", "supervisor.program.stop", "web:web_09", ops.StatusInvalid},
		{"unknown group", "supervisor.program.start", "nope:*", ops.StatusInvalid},
		{"already started", "supervisor.program.start", "web:web_00", ops.StatusInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, b, tt.op, tt.target)
			wantStatus(t, err, tt.want)
		})
	}
	out, err := run(t, b, "supervisor.program.stop", "web:*")
	wantStatus(t, err, ops.StatusOK)
	if got := states(out); got["web:web_00"] != "STOPPED" || got["web:web_01"] != "STOPPED" {
		t.Errorf("stop web:* left %v", got)
	}
	out, err = run(t, b, "supervisor.program.start", "all")
	wantStatus(t, err, ops.StatusOK)
	if got := states(out); got["web:web_00"] != "RUNNING" || got["web:web_01"] != "RUNNING" {
		t.Errorf("start all left %v", got)
	}
	var e *ops.Error
	_, err = run(t, b, "supervisor.program.show", "web")
	if errors.As(err, &e) {
		t.Fatalf("show: %v", err)
	}
}

func TestBackendRestartService(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2*time.Second)
	before := rpcWaitState(t, b.client, "web:web", "RUNNING")
	out, err := run(t, b, "supervisor.service.restart", "")
	wantStatus(t, err, ops.StatusOK)
	if !strings.Contains(out.Message, "Restarted supervisord") {
		t.Errorf("message %q", out.Message)
	}
	if after := rpcWaitState(t, b.client, "web:web", "RUNNING"); after.PID == before.PID {
		t.Error("web kept its pid through a supervisord restart")
	}
}

// TestBackendFailedStartSaysWhy starts a program that dies at once, several
// times: whether supervisord answers the start with SPAWN_ERROR (the child
// was reaped inside the call) or not, the answer carries the log's reason.
func TestBackendFailedStartSaysWhy(t *testing.T) {
	t.Parallel()
	no := false
	// startsecs is long so that even a machine too busy to run the shell
	// within a second sees it die before it counts as started.
	s := sandbox.Supervisor(t,
		sandbox.Program{Name: "broken", Command: `/bin/sh -c "echo 'fatal: cannot connect to redis' >&2; exit 3"`, Autostart: &no, StartSecs: 10},
		sandbox.Program{Name: "pair", Command: `/bin/sh -c "echo 'fatal: no config' >&2; exit 3"`, NumProcs: 2, Autostart: &no, StartSecs: 10})
	b := newBackend(t, s, 0)
	for i := range 3 {
		for _, tt := range []struct{ target, why string }{
			{"broken", "fatal: cannot connect to redis"},
			{"pair:*", "fatal: no config"},
		} {
			_, err := run(t, b, "supervisor.program.start", tt.target)
			if msg := wantStatus(t, err, ops.StatusFailed); !strings.Contains(msg, tt.why) {
				t.Errorf("start %s, attempt %d: answer without the log:\n%s", tt.target, i+1, msg)
			}
			// It may be retrying (BACKOFF) or have given up (FATAL).
			_, _ = run(t, b, "supervisor.program.stop", tt.target)
		}
	}
}
