package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultSupervisordPath is where Debian's supervisor package installs
	// the daemon; used when supervisord is not on PATH (e.g. under sudo).
	DefaultSupervisordPath = "/usr/bin/supervisord"

	// readyTimeout bounds a daemon's startup and killTimeout its exit after
	// SIGKILL: generous, so that only a daemon that fails reaches them, on
	// however busy a machine (two cores shared by parallel test packages
	// start a supervisord in seconds, not milliseconds).
	readyTimeout = time.Minute
	killTimeout  = time.Minute
	stopTimeout  = 15 * time.Second
)

// Supervisord is a supervisord running in a directory of its own.
type Supervisord struct {
	Dir        string // the sandbox directory
	ConfigFile string // Dir/supervisord.conf
	ProgramDir string // Dir/conf.d, one <name>.conf per program
	LogDir     string // Dir/log, the programs' logs
	SocketPath string // the XML-RPC Unix socket
	URL        string // "unix://" + SocketPath
	PID        int

	shortDir string // socket directory under os.TempDir, when Dir is too long
	mu       sync.Mutex
	d        *daemon
}

// SupervisordPath returns the supervisord binary to run.
func SupervisordPath() (string, error) {
	if p, err := exec.LookPath("supervisord"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(DefaultSupervisordPath); err != nil {
		return "", fmt.Errorf("supervisord is not installed (not on PATH, no %s): %w", DefaultSupervisordPath, err)
	}
	return DefaultSupervisordPath, nil
}

// StartSupervisord writes a config for programs into dir, starts supervisord
// as a child of this process and returns once it answers over XML-RPC.
// Program files already in dir/conf.d are kept, so a daemon can be started
// again in the same dir after Stop or Kill and listens at the same socket.
func StartSupervisord(dir string, programs ...Program) (*Supervisord, error) {
	return startSupervisord(dir, false, programs, nil)
}

// StartSupervisordDetached is StartSupervisord for a daemon that outlives
// the caller (`make demo`): it runs in a session of its own and is not
// signalled when the caller exits. Use Attach and Stop to end it later.
func StartSupervisordDetached(dir string, programs ...Program) (*Supervisord, error) {
	return startSupervisord(dir, true, programs, nil)
}

// StartDemo is StartSupervisordDetached with the programs of `make demo`
// and its hand-written files (DemoFiles), as a host has them.
func StartDemo(dir string) (*Supervisord, error) {
	return startSupervisord(dir, true, DemoPrograms(), DemoFiles())
}

// Attach returns the supervisord running in dir, started earlier by this or
// another process, so that Stop works on it.
func Attach(dir string) (*Supervisord, error) {
	s, err := newSupervisord(dir)
	if err != nil {
		return nil, err
	}
	pid, err := s.runningPID()
	if err != nil {
		return nil, err
	}
	if pid == 0 {
		return nil, fmt.Errorf("no supervisord is running in %s", s.Dir)
	}
	s.PID, s.d = pid, &daemon{pid: pid}
	return s, nil
}

func newSupervisord(dir string) (*Supervisord, error) {
	dir, err := absDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Supervisord{
		Dir:        dir,
		ConfigFile: filepath.Join(dir, "supervisord.conf"),
		ProgramDir: filepath.Join(dir, "conf.d"),
		LogDir:     filepath.Join(dir, "log"),
	}
	s.SocketPath, s.shortDir = socketPath(dir, "supervisor.sock")
	s.URL = "unix://" + s.SocketPath
	return s, nil
}

func startSupervisord(dir string, detached bool, programs []Program, files []File) (*Supervisord, error) {
	bin, err := SupervisordPath()
	if err != nil {
		return nil, err
	}
	s, err := newSupervisord(dir)
	if err != nil {
		return nil, err
	}
	if pid, err := s.runningPID(); err != nil {
		return nil, err
	} else if pid != 0 {
		return nil, fmt.Errorf("supervisord is already running in %s (pid %d)", s.Dir, pid)
	}
	for _, d := range []string{s.Dir, s.ProgramDir, s.LogDir, s.shortDir} {
		if d == "" {
			continue
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	for _, p := range programs {
		if _, err := s.WriteProgram(p); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		text := strings.ReplaceAll(f.Text, "{logdir}", s.LogDir)
		if err := os.WriteFile(filepath.Join(s.ProgramDir, f.Name), []byte(text), 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	if err := os.WriteFile(s.ConfigFile, supervisordConfig(s), 0o600); err != nil {
		return nil, fmt.Errorf("write supervisord config: %w", err)
	}
	out := filepath.Join(s.Dir, "supervisord.out")
	s.d, err = startDaemon(bin, []string{"-n", "-c", s.ConfigFile}, out, detached)
	if err != nil {
		return nil, err
	}
	s.PID = s.d.pid
	if err := s.waitReady(); err != nil {
		_ = s.Kill()
		s.removeShortDir()
		return nil, fmt.Errorf("%w\n--- tail of %s ---\n%s", err, out, tailFile(out, 2048))
	}
	return s, nil
}

// waitReady polls supervisor.getState until it answers RUNNING.
func (s *Supervisord) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		state, err := s.State(ctx)
		switch {
		case err == nil && state == "RUNNING":
			return nil
		case err == nil:
			last = fmt.Errorf("state is %s", state)
		default:
			last = err
		}
		if s.d.exited() {
			return fmt.Errorf("supervisord (pid %d) exited during startup: %w", s.PID, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("supervisord (pid %d) not ready after %s: %w", s.PID, readyTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WriteProgram writes <ProgramDir>/<name>.conf. It does not make supervisord
// reread its config; that is the caller's business (reloadConfig).
func (s *Supervisord) WriteProgram(p Program) (string, error) {
	b, err := p.render(s.LogDir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.ProgramDir, p.Name+".conf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("write program %s: %w", p.Name, err)
	}
	return path, nil
}

// Stop shuts supervisord down gracefully: SIGTERM, which stops its programs,
// then SIGKILL if it is still running after 15 s. Stopping a stopped daemon
// is a no-op.
func (s *Supervisord) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return nil
	}
	if err := s.d.stop(stopTimeout); err != nil {
		return fmt.Errorf("stop supervisord: %w", err)
	}
	s.removeShortDir()
	return nil
}

// Kill ends supervisord with SIGKILL, as if it had crashed, and waits for it
// to exit. The programs it ran are killed too, so nothing is left behind,
// but its stale socket file stays.
func (s *Supervisord) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return nil
	}
	if err := s.d.kill(nil); err != nil {
		return fmt.Errorf("kill supervisord: %w", err)
	}
	return nil
}

// removeShortDir removes the socket directory under os.TempDir unless a
// daemon started again in the same Dir is using it.
func (s *Supervisord) removeShortDir() {
	if s.shortDir == "" {
		return
	}
	if pid, err := s.runningPID(); err == nil && pid != 0 {
		return
	}
	_ = os.RemoveAll(s.shortDir)
}

func (s *Supervisord) pidFile() string { return filepath.Join(s.Dir, "supervisord.pid") }

// runningPID returns the pid of the live supervisord named by the pid file,
// or 0 when there is none (no file, stale file, pid reused by another
// program).
func (s *Supervisord) runningPID() (int, error) {
	b, err := os.ReadFile(s.pidFile())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read supervisord pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse supervisord pid file %s: %w", s.pidFile(), err)
	}
	if !alive(proc{pid: pid}) {
		return 0, nil
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.Contains(string(cmdline), "supervisord") {
		return 0, nil
	}
	return pid, nil
}
