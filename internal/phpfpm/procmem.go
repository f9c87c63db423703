package phpfpm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procRoot is where process information is read.
const procRoot = "/proc"

// procMem is one process's memory from /proc/PID/smaps_rollup, in kB.
// RSS counts every resident page the process maps, shared ones in full;
// PSS divides each shared page by the number of processes that map it, so
// the PSS of a pool's workers adds up to what they take together (OPcache's
// shared memory counted once); Shared is Shared_Clean + Shared_Dirty.
type procMem struct {
	RSS, PSS, Shared int64
}

// errGone is a process that exited while it was read.
var errGone = errors.New("the process exited")

// readMem reads pid's smaps_rollup. A process that is gone (or gone and
// its pid not yet reused) is errGone; a process this user may not read is
// an error that says so.
func readMem(pid int) (procMem, error) {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/smaps_rollup", procRoot, pid))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) || (err == nil && len(data) == 0) {
		// An exiting process leaves an empty rollup behind for a moment.
		return procMem{}, errGone
	}
	if err != nil {
		return procMem{}, err
	}
	var m procMem
	found := false
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "Rss:":
			m.RSS, found = kb, true
		case "Pss:":
			m.PSS = kb
		case "Shared_Clean:", "Shared_Dirty:":
			m.Shared += kb
		}
	}
	if !found {
		return procMem{}, errGone
	}
	return m, nil
}

// memInfo reads MemTotal and MemAvailable (kB) from /proc/meminfo.
func memInfo() (total, available int64, err error) {
	data, err := os.ReadFile(procRoot + "/meminfo")
	if err != nil {
		return 0, 0, err
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			total, _ = strconv.ParseInt(f[1], 10, 64)
		case "MemAvailable:":
			available, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	if total == 0 || available == 0 {
		return 0, 0, fmt.Errorf("no MemTotal or MemAvailable in /proc/meminfo")
	}
	return total, available, nil
}

// fpmWorkerPIDs returns the pids of php-fpm workers by pool name, children
// of master unless master is 0. A master's children are read from
// /proc/PID/task/PID/children where the kernel offers it: it is polled
// while a reload settles, and a scan of every process costs milliseconds
// on a busy host.
func fpmWorkerPIDs(master int) map[string][]int {
	out := map[string][]int{}
	var pids []int
	if master != 0 {
		if raw, err := os.ReadFile(fmt.Sprintf("%s/%d/task/%d/children", procRoot, master, master)); err == nil {
			for _, f := range strings.Fields(string(raw)) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
			for _, pid := range pids {
				if name, ok := fpmPool(pid); ok {
					out[name] = append(out[name], pid)
				}
			}
			return out
		}
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return out
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		name, ok := fpmPool(pid)
		if !ok {
			continue
		}
		if ppid, ok := procParent(pid); !ok || (master != 0 && ppid != master) {
			continue
		}
		out[name] = append(out[name], pid)
	}
	return out
}

// fpmPool returns the pool of a php-fpm worker, from its process title.
func fpmPool(pid int) (string, bool) {
	cmdline, err := os.ReadFile(fmt.Sprintf("%s/%d/cmdline", procRoot, pid))
	if err != nil {
		return "", false
	}
	title := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	return strings.CutPrefix(title, "php-fpm: pool ")
}

// procParent reads the parent pid of pid.
func procParent(pid int) (ppid int, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/status", procRoot, pid))
	if err != nil {
		return 0, false
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		if v, found := strings.CutPrefix(s.Text(), "PPid:"); found {
			ppid, err = strconv.Atoi(strings.TrimSpace(v))
			return ppid, err == nil
		}
	}
	return 0, false
}
