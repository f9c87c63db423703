package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemon is a daemon process this package started or attached to.
type daemon struct {
	pid int
	// done is closed once a child started by this process has been reaped;
	// nil for a daemon found through its pid file.
	done chan struct{}
}

// startDaemon starts name with args, its output going to outPath. A
// non-detached daemon gets its own process group, so a terminal's Ctrl-C
// reaches only the test binary, and SIGTERM when the test binary dies, so it
// shuts its programs down instead of being orphaned (Linux sends it when
// the forking OS thread ends, which the Go runtime does only for threads
// locked by a goroutine that exits). A detached daemon gets its own session
// and outlives the caller.
func startDaemon(name string, args []string, outPath string, detached bool) (*daemon, error) {
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open daemon output: %w", err)
	}
	defer out.Close() // the child holds its own copy
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = filepath.Dir(outPath)
	if detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{pid: cmd.Process.Pid, done: make(chan struct{})}
	// Reap the child while this process lives; a detached daemon is
	// inherited by init once the caller exits.
	go func() {
		_ = cmd.Wait()
		close(d.done)
	}()
	return d, nil
}

// exited reports whether the daemon is gone.
func (d *daemon) exited() bool {
	if d.done != nil {
		select {
		case <-d.done:
			return true
		default:
			return false
		}
	}
	return !alive(proc{pid: d.pid})
}

// wait waits up to timeout for the daemon to exit and reports whether it did.
func (d *daemon) wait(timeout time.Duration) bool {
	if d.done != nil {
		select {
		case <-d.done:
			return true
		case <-time.After(timeout):
			return false
		}
	}
	deadline := time.Now().Add(timeout)
	for !d.exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// stop sends SIGTERM and waits up to grace for the daemon to exit, then
// kills it. Processes it had started and left behind are killed as well.
func (d *daemon) stop(grace time.Duration) error {
	if d.exited() {
		return nil
	}
	procs := descendants(d.pid)
	if err := syscall.Kill(d.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal pid %d: %w", d.pid, err)
	}
	// A daemon frozen by a test (SIGSTOP) handles SIGTERM only once resumed.
	_ = syscall.Kill(d.pid, syscall.SIGCONT)
	if !d.wait(grace) {
		return d.kill(procs)
	}
	sweep(procs)
	return nil
}

// kill freezes the daemon so it cannot start anything new, notes its
// descendants, kills it and then them, so nothing is left behind.
func (d *daemon) kill(known []proc) error {
	if d.exited() {
		sweep(known)
		return nil
	}
	_ = syscall.Kill(d.pid, syscall.SIGSTOP)
	procs := append(known, descendants(d.pid)...)
	if err := syscall.Kill(d.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill pid %d: %w", d.pid, err)
	}
	if !d.wait(killTimeout) {
		return fmt.Errorf("pid %d still running %s after SIGKILL", d.pid, killTimeout)
	}
	sweep(procs)
	return nil
}

// proc identifies a process across pid reuse by its start time.
type proc struct {
	pid    int
	start  string
	leader bool // leads its process group, as supervisord makes its children
}

// procStat reads the state, parent, process group and start time of pid
// from /proc.
func procStat(pid int) (state string, ppid, pgrp int, start string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, 0, "", false
	}
	// The command name is in parentheses and may contain anything.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0, 0, "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", 0, 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	pgrp, _ = strconv.Atoi(f[2])
	return f[0], ppid, pgrp, f[19], true
}

// alive reports whether p still runs; zombies count as gone.
func alive(p proc) bool {
	state, _, _, start, ok := procStat(p.pid)
	if !ok || state == "Z" || state == "X" {
		return false
	}
	return p.start == "" || p.start == start
}

// descendants lists the processes below pid.
func descendants(pid int) []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]proc{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, pgrp, start, ok := procStat(p); ok {
			children[ppid] = append(children[ppid], proc{pid: p, start: start, leader: pgrp == p})
		}
	}
	var out []proc
	queue := []int{pid}
	for len(queue) > 0 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
		queue = queue[1:]
	}
	return out
}

// sweep kills the processes still alive and waits for them to go.
// A process group is killed as a whole through its leader, which also gets
// the children a program forked after procs was listed.
func sweep(procs []proc) {
	for _, p := range procs {
		if !alive(p) {
			continue
		}
		if p.leader {
			_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		}
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(killTimeout)
	for _, p := range procs {
		for alive(p) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
}
