package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/poolvisor/poolvisor/adapters/socket/wire"
	"github.com/poolvisor/poolvisor/cmd/internal/cli"
)

// daemonName is the full program's file name.
const daemonName = "poolvisord"

// findDaemon returns poolvisord's path: next to this executable first, so
// that the two binaries of one install go together, else on $PATH.
func findDaemon() (string, error) {
	var next string
	if self, err := os.Executable(); err == nil {
		if self, err := filepath.EvalSymlinks(self); err == nil {
			next = filepath.Join(filepath.Dir(self), daemonName)
			if isExecutable(next) {
				return next, trusted(next)
			}
		}
	}
	// exec.LookPath refuses a relative $PATH entry (exec.ErrDot): a
	// poolvisord in the working directory is never run.
	p, err := exec.LookPath(daemonName)
	if err == nil {
		return p, trusted(p)
	}
	if next == "" {
		return "", fmt.Errorf("%s is not on $PATH (%v); poolvisor needs it for this command: install both binaries", daemonName, err)
	}
	return "", fmt.Errorf("%s is neither next to this poolvisor (%s) nor on $PATH; poolvisor needs it for this command: install both binaries", daemonName, next)
}

// trusted refuses, when poolvisor runs as root, a poolvisord that someone
// else could have put there: root would run it with root's rights (a
// $PATH a user set, an install whose directory anyone may write). The
// file and its directory must be root's and writable by no one else.
func trusted(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("cannot tell who owns %s, so poolvisor, running as root, does not run %s", p, path)
		}
		if st.Uid != 0 || fi.Mode().Perm()&0o022 != 0 {
			return fmt.Errorf("%s is not root's alone (owner uid %d, mode %v), so poolvisor, running as root, does not run %s; install it root-owned and writable by root only", p, st.Uid, fi.Mode().Perm(), path)
		}
	}
	return nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// handOver replaces this process with poolvisord, given the same
// arguments and environment. It returns only when that failed, with the
// exit code of a run that could not start (and, for --json, the one JSON
// object scripts expect).
func handOver(args []string, json bool, stdout, stderr io.Writer) int {
	path, err := findDaemon()
	if err == nil {
		err = syscall.Exec(path, append([]string{path}, args...), os.Environ())
		err = fmt.Errorf("run %s: %w", path, err)
	}
	if json {
		fmt.Fprintln(stdout, wire.FailedJSON(err.Error()))
	}
	fmt.Fprintln(stderr, "poolvisor:", err)
	return cli.ExitFailed
}

// wantsJSON says whether exec or status was asked for --json, for the
// one JSON object a failed hand-over still prints.
func wantsJSON(args []string) bool {
	if len(args) == 0 || (args[0] != "exec" && args[0] != "status") {
		return false
	}
	o, _ := parseLocal(args[0], args[1:])
	return o.json
}
