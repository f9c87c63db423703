package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Reload sends USR2 to the master, as `systemctl reload` does, and waits
// until the reloaded master is ready.
func (f *PHPFPM) Reload() error {
	pid := f.MasterPID()
	if pid == 0 {
		return fmt.Errorf("no php-fpm master is running in %s", f.Dir)
	}
	ready := f.countLog(readyLine)
	if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
		return fmt.Errorf("signal php-fpm (pid %d): %w", pid, err)
	}
	return f.waitReady(ready)
}

// Dial connects to pool name's socket, to check that it accepts connections.
func (f *PHPFPM) Dial(name string) error {
	c, err := net.DialTimeout("unix", f.SocketPath(name), 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// MasterPID returns the pid of the live master named by the pid file, or 0.
func (f *PHPFPM) MasterPID() int {
	b, err := os.ReadFile(f.PIDFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !alive(proc{pid: pid}) {
		return 0
	}
	if !strings.Contains(processTitle(pid), "php-fpm") {
		return 0
	}
	return pid
}

// Workers returns the sorted pids of pool name's workers under the master.
func (f *PHPFPM) Workers(name string) []int {
	master := f.MasterPID()
	if master == 0 {
		return nil
	}
	// A worker just forked still carries the master's title for a moment:
	// wait (briefly) until every child has taken its pool's.
	deadline := time.Now().Add(2 * time.Second)
	for {
		var pids []int
		fresh := false
		for _, p := range descendants(master) {
			switch t := processTitle(p.pid); {
			case t == "php-fpm: pool "+name:
				pids = append(pids, p.pid)
			case strings.HasPrefix(t, "php-fpm: master"):
				fresh = true
			}
		}
		if !fresh || time.Now().After(deadline) {
			slices.Sort(pids)
			return pids
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processTitle returns the command line of pid as one string; php-fpm
// rewrites it to "php-fpm: master process (...)" or "php-fpm: pool NAME".
func processTitle(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// Stop ends the master (the one the pid file names, which after a reload
// of a daemonized master or a restart is not the one first started) with
// SIGTERM, then SIGKILL if it is still running after 15 s, and its workers
// with it. Stopping a stopped master is a no-op.
func (f *PHPFPM) Stop() error {
	return f.end(func(d *daemon) error { return d.stop(stopTimeout) })
}

// Kill ends the master and its workers with SIGKILL, as if it had crashed;
// its stale pid file and sockets stay.
func (f *PHPFPM) Kill() error {
	return f.end(func(d *daemon) error { return d.kill(nil) })
}

func (f *PHPFPM) end(how func(*daemon) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	if pid := f.MasterPID(); pid != 0 && (f.d == nil || f.d.pid != pid) {
		errs = append(errs, how(&daemon{pid: pid}))
	}
	if f.d != nil {
		errs = append(errs, how(f.d))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop php-fpm: %w", err)
	}
	if f.shortDir != "" {
		if err := os.RemoveAll(f.shortDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", f.shortDir, err)
		}
	}
	return nil
}
