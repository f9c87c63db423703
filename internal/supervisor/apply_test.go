package supervisor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// A file that passes poolvisor's own checks can still be refused by
// supervisord: the apply path must then put the old bytes back, byte for
// byte, and leave the running programs alone. The file here skips poolvisor's
// checks on purpose (process_name without %(process_num) for three
// processes, which supervisord refuses on reread).
func TestApplyRollsBackWhatSupervisordRefuses(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2e9)
	before := rpcWaitState(t, b.client, "web:web", "RUNNING")
	path := filepath.Join(s.ProgramDir, "web.conf")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := append(bytes.Clone(old), []byte("numprocs=3\nprocess_name=web\n")...)

	err = b.applyFile(context.Background(), fileChange{path: path, old: old, new: bad}, "web")
	msg := wantStatus(t, err, ops.StatusFailed)
	if !strings.Contains(msg, "rolled back") || !strings.Contains(msg, "process_num") {
		t.Errorf("message %q does not carry supervisord's reason", msg)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Errorf("file not restored byte for byte:\n%s", now)
	}
	if after := rpcWaitState(t, b.client, "web:web", "RUNNING"); after.PID != before.PID {
		t.Errorf("web was restarted by a refused change")
	}
	// supervisord reads the restored file again: nothing is left pending.
	if c, err := b.changes(context.Background()); err != nil || !c.empty() {
		t.Errorf("after rollback supervisord sees %v, %v", c, err)
	}

	// A new file that supervisord refuses is removed again.
	fresh := filepath.Join(s.ProgramDir, "fresh.conf")
	err = b.applyFile(context.Background(), fileChange{path: fresh, new: []byte("[program:fresh]\ncommand=/bin/true\nnumprocs=2\n")}, "fresh")
	wantStatus(t, err, ops.StatusFailed)
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("refused new file left behind: %v", err)
	}
}

// supervisord's own loader judges a staged copy before anything is written:
// what only supervisord refuses is invalid, and the live directory is untouched.
func TestDaemonCheckRefusesBeforeWriting(t *testing.T) {
	t.Parallel()
	if supervisordPython() == "" {
		t.Skip("supervisord's python is not on this host")
	}
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2e9)
	path := filepath.Join(s.ProgramDir, "web.conf")
	old, _ := os.ReadFile(path)
	bad := append(bytes.Clone(old), []byte("numprocs=3\nprocess_name=web\n")...)
	err := b.daemonCheck(context.Background(), fileChange{path: path, old: old, new: bad})
	if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "process_num") || strings.Contains(msg, "poolvisor-check-") || !strings.Contains(msg, path) {
		t.Errorf("message %q", msg)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("the check touched the live file")
	}
	if err := b.daemonCheck(context.Background(), fileChange{path: path, old: old, new: old}); err != nil {
		t.Errorf("the file as it is: %v", err)
	}
}

// A host without supervisord's code (a container) cannot run its check:
// writes are refused, with the way out, unless supervisor.check: skip.
func TestDaemonCheckMissingRefusesWrites(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2e9)
	b.python = func() string { return "" }
	path := filepath.Join(s.ProgramDir, "web.conf")
	old, _ := os.ReadFile(path)
	next := append(bytes.Clone(old), []byte("startsecs=2\n")...)
	err := b.daemonCheck(context.Background(), fileChange{path: path, old: old, new: next})
	if msg := wantStatus(t, err, ops.StatusFailed); !strings.Contains(msg, "cannot run here") || !strings.Contains(msg, "supervisor.check: skip") {
		t.Errorf("message %q", msg)
	}

	// Through the handler: nothing is written.
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "set", Value: "startsecs=2"})
	if msg := wantStatus(t, err, ops.StatusFailed); !strings.Contains(msg, "supervisor.check: skip") {
		t.Errorf("edit without the check: %q", msg)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("a write went ahead without supervisord's check")
	}

	b.cfg.SkipDaemonCheck = true
	if err := b.daemonCheck(context.Background(), fileChange{path: path, old: old, new: next}); err != nil {
		t.Errorf("supervisor.check: skip: %v", err)
	}
}
