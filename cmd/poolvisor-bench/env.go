package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// runningTimeout bounds the wait for every program to be RUNNING.
const runningTimeout = 60 * time.Second

// env is a sandboxed supervisord and a poolvisor config pointing at it, all in
// one temporary directory.
type env struct {
	dir      string // removed by close
	sv       *sandbox.Supervisord
	config   string // poolvisor's config file
	socket   string // where its serve listens (socketPair)
	user     string // the OS user, bound to the admin role
	programs int
}

// newEnv starts supervisord with n programs, waits until all are RUNNING and
// writes poolvisor's config.
func newEnv(ctx context.Context, n int, stderr io.Writer) (_ *env, err error) {
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("who runs the benchmark: %w", err)
	}
	dir, err := os.MkdirTemp("", "poolvisor-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, user: u.Username, programs: n}
	defer func() {
		if err != nil {
			_ = e.close(stderr)
		}
	}()

	fmt.Fprintf(stderr, "starting supervisord with %d programs in %s...\n", n, dir)
	start := time.Now()
	if e.sv, err = sandbox.StartSupervisord(filepath.Join(dir, "supervisord"), programs(n)...); err != nil {
		return nil, fmt.Errorf("start sandboxed supervisord: %w", err)
	}
	if err := waitRunning(ctx, e.sv, n); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "all %d programs RUNNING after %s\n", n, time.Since(start).Round(10*time.Millisecond))

	e.socket = socketPath(dir)
	if e.config, err = writeConfig(dir, e.sv, e.user); err != nil {
		return nil, err
	}
	return e, nil
}

// close stops supervisord and its programs and removes the directory.
func (e *env) close(stderr io.Writer) error {
	var err error
	if e.sv != nil {
		fmt.Fprintln(stderr, "stopping the sandboxed supervisord...")
		err = e.sv.Stop()
	}
	if rerr := os.RemoveAll(e.dir); err == nil && rerr != nil {
		err = fmt.Errorf("remove %s: %w", e.dir, rerr)
	}
	return err
}

// programs returns n programs that only sleep. startsecs=0 makes each RUNNING
// as soon as it is spawned.
func programs(n int) []sandbox.Program {
	out := make([]sandbox.Program, n)
	for i := range out {
		out[i] = sandbox.Program{
			Name:    fmt.Sprintf("bench-%03d", i+1),
			Command: `/bin/sh -c "while true; do sleep 3600; done"`,
			Extra:   map[string]string{"startsecs": "0"},
		}
	}
	return out
}

// waitRunning polls until supervisord reports n processes, all RUNNING.
func waitRunning(ctx context.Context, sv *sandbox.Supervisord, n int) error {
	ctx, cancel := context.WithTimeout(ctx, runningTimeout)
	defer cancel()
	var last string
	for {
		states, err := sv.ProcessStates(ctx)
		running := 0
		for _, s := range states {
			if s == "RUNNING" {
				running++
			}
		}
		switch {
		case err != nil:
			last = err.Error()
		case running == n && len(states) == n:
			return nil
		default:
			last = fmt.Sprintf("%d of %d processes RUNNING", running, len(states))
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return ctx.Err()
			}
			return fmt.Errorf("programs not all RUNNING after %s: %s", runningTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeConfig writes a poolvisor config for sv into dir, with username as
// admin, and returns its path.
func writeConfig(dir string, sv *sandbox.Supervisord, username string) (string, error) {
	cfg := fmt.Sprintf(`# Written by poolvisor-bench.
host: bench
data_dir: %q
listen: ""
phpfpm: {enabled: false}
supervisor:
  url: %q
  config_file: %q
  program_dir: %q
  log_dir: %q
local: {socket: %q}
rbac:
  bindings:
    - {role: admin, local_users: [%q]}
`, filepath.Join(dir, "data"), sv.URL, sv.ConfigFile, sv.ProgramDir, sv.LogDir, socketPath(dir), username)
	path := filepath.Join(dir, "poolvisor.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("write poolvisor config: %w", err)
	}
	return path, nil
}
