package phpfpm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// defaultReserveMB is what the operators' guide keeps back for the system,
// the web server and the database when sizing pools.
const defaultReserveMB = 500

// procRoot is where process information is read.
const procRoot = "/proc"

// tune advises pm.max_children = (RAM − reserve) / average worker RSS for
// one pool or every pool, from the workers running now. It changes nothing.
func (b *Backend) tune(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	d, err := b.scanPools()
	if err != nil {
		return ops.Outcome{}, err
	}
	pools := d.pools
	if name := req.Op.Target; name != "" {
		e, err := d.find(name, b.cfg.Host)
		if err != nil {
			return ops.Outcome{}, err
		}
		pools = []poolEntry{e}
	}
	data := ops.FPMTune{RAMSource: "MemTotal", ReserveMB: defaultReserveMB, Pools: []ops.PoolTune{}}
	if v, ok := req.Op.Get("ram-mb"); ok {
		if data.RAMMB, err = strconv.ParseInt(v, 10, 64); err != nil || data.RAMMB <= 0 {
			return ops.Outcome{}, ops.Invalidf("--ram-mb %q is not a positive number of megabytes", v)
		}
		data.RAMSource = "--ram-mb"
	} else if data.RAMMB, err = memTotalMB(); err != nil {
		return ops.Outcome{}, ops.Fail(err, "cannot read the host's memory size from /proc/meminfo; give it with --ram-mb")
	}
	if v, ok := req.Op.Get("reserve-mb"); ok {
		if data.ReserveMB, err = strconv.ParseInt(v, 10, 64); err != nil || data.ReserveMB < 0 {
			return ops.Outcome{}, ops.Invalidf("--reserve-mb %q is not a number of megabytes", v)
		}
	}
	if data.RAMMB <= data.ReserveMB {
		return ops.Outcome{}, ops.Invalidf("RAM (%d MB) must be more than the reserve (%d MB)", data.RAMMB, data.ReserveMB)
	}
	workers := fpmWorkers(b.masterPID(ctx))
	for _, p := range pools {
		t := ops.PoolTune{Name: p.name, CurrentMaxChildren: p.directives["pm.max_children"]}
		rss := workers[p.name]
		t.Workers = len(rss)
		if len(rss) == 0 {
			t.Note = "no running workers to measure; ask again when the pool has served some requests"
		} else {
			var sum int64
			for _, kb := range rss {
				sum += kb
			}
			t.AvgRSSMB = math.Round(float64(sum)/float64(len(rss))/1024*10) / 10
			avg := float64(sum) / float64(len(rss)) / 1024
			t.AdvisedMaxChildren = max(1, int64(float64(data.RAMMB-data.ReserveMB)/avg))
		}
		data.Pools = append(data.Pools, t)
	}
	return ops.Outcome{Message: tuneText(b.cfg.Host, data, len(d.pools)), Data: data}, nil
}

func tuneText(host string, t ops.FPMTune, allPools int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Sizing advice for %s (advice only, nothing was changed):\n", host)
	fmt.Fprintf(&b, "  pm.max_children = (RAM %d MB [%s] − reserve %d MB) / average worker RSS\n", t.RAMMB, t.RAMSource, t.ReserveMB)
	for _, p := range t.Pools {
		cur := p.CurrentMaxChildren
		if cur == "" {
			cur = "not set"
		}
		if p.Workers == 0 {
			fmt.Fprintf(&b, "  %s: %s (pm.max_children now %s)\n", p.Name, p.Note, cur)
			continue
		}
		fmt.Fprintf(&b, "  %s: %d workers, average RSS %.1f MB -> (%d − %d) / %.1f = pm.max_children %d (now %s)\n",
			p.Name, p.Workers, p.AvgRSSMB, t.RAMMB, t.ReserveMB, p.AvgRSSMB, p.AdvisedMaxChildren, cur)
	}
	if allPools > 1 {
		b.WriteString("  Each figure assumes the pool has the memory to itself; pools that share the host share it too.\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// memTotalMB reads MemTotal from /proc/meminfo.
func memTotalMB() (int64, error) {
	data, err := os.ReadFile(procRoot + "/meminfo")
	if err != nil {
		return 0, err
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

// fpmWorkers returns the resident set size (kB) of every php-fpm worker,
// by pool name: processes titled "php-fpm: pool NAME", children of master
// when it is known (other masters on the host may run pools of that name).
func fpmWorkers(master int) map[string][]int64 {
	out := map[string][]int64{}
	for name, pids := range fpmWorkerPIDs(master) {
		for _, pid := range pids {
			if _, rss, ok := procStatus(pid); ok {
				out[name] = append(out[name], rss)
			}
		}
	}
	return out
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
		if ppid, _, ok := procStatus(pid); !ok || (master != 0 && ppid != master) {
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

// procStatus reads the parent pid and VmRSS (kB) of pid.
func procStatus(pid int) (ppid int, rssKB int64, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/status", procRoot, pid))
	if err != nil {
		return 0, 0, false
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "PPid:":
			ppid, _ = strconv.Atoi(f[1])
		case "VmRSS:":
			rssKB, _ = strconv.ParseInt(f[1], 10, 64)
			ok = true
		}
	}
	return ppid, rssKB, ok
}
