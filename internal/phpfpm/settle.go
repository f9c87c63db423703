package phpfpm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Lines php-fpm logs when a (re)started master is ready (a notice), and
// when it gave up (an error).
const (
	readyLine  = "ready to handle connections"
	failedLine = "FPM initialization failed"
)

// mark is what a reload or restart is measured against: where php-fpm's
// log ended and which workers ran before it.
type mark struct {
	log     string // the error log file; "" when php-fpm logs elsewhere
	off     int64
	notices bool         // the log shows notices, the ready line among them
	workers map[int]bool // the workers of the master before
}

func (b *Backend) markNow(ctx context.Context) mark {
	m := mark{workers: map[int]bool{}}
	if main, err := readMainConfig(b.cfg.MainConfig); err == nil && main.errorLog != "syslog" {
		m.log, m.off = main.errorLog, fileSize(main.errorLog)
		m.notices = main.logLevel == "notice" || main.logLevel == "debug"
	}
	if master := b.masterPID(ctx); master != 0 {
		for _, pids := range fpmWorkerPIDs(master) {
			for _, p := range pids {
				m.workers[p] = true
			}
		}
	}
	return m
}

// settleAndVerify waits for a reload or restart to finish, then checks
// that php-fpm serves every pool.
func (b *Backend) settleAndVerify(ctx context.Context, m mark) error {
	if err := b.waitSettled(ctx, m); err != nil {
		return err
	}
	return b.verify(ctx)
}

// waitSettled waits until a reload or restart has finished. php-fpm answers
// a reload that kills it with success, and a reloading master keeps its
// sockets open, so neither the signal nor a connection tells. Its log does:
// a ready line, or the line of a failed start. When the log shows no
// notices (log_level above notice, or syslog), the workers do: the reload
// is over once none of the old workers is left and the master has new ones.
func (b *Backend) waitSettled(ctx context.Context, m mark) error {
	start := time.Now()
	deadline := start.Add(b.cfg.ReloadTimeout)
	for {
		text := ""
		if m.log != "" {
			text = readFrom(m.log, m.off)
		}
		master := b.masterPID(ctx)
		switch {
		case strings.Contains(text, failedLine):
			b.waitGone(ctx)
			return ops.Failedf("php-fpm failed to start with the new configuration")
		case m.notices && strings.Contains(text, readyLine):
			return nil
		case !m.notices && master != 0 && b.newGeneration(master, m.workers, time.Since(start)):
			return nil
		case !m.notices && master == 0 && time.Since(start) > time.Second:
			return ops.Failedf("php-fpm is not running after the reload")
		}
		if time.Now().After(deadline) {
			return ops.Failedf("php-fpm did not come back within %s", b.cfg.ReloadTimeout)
		}
		// A reload takes tens of milliseconds: look often at first, so
		// that every write is not a poll interval late.
		every := 5 * time.Millisecond
		if time.Since(start) > 500*time.Millisecond {
			every = 20 * time.Millisecond
		}
		if err := sleep(ctx, every); err != nil {
			return ops.Fail(err, "gave up waiting for php-fpm")
		}
	}
}

// newGeneration reports whether master's workers are all new. Without
// old workers to compare with (only ondemand pools), a second's wait
// stands in.
func (b *Backend) newGeneration(master int, old map[int]bool, waited time.Duration) bool {
	now := fpmWorkerPIDs(master)
	if len(old) == 0 {
		return waited > time.Second
	}
	count := 0
	for _, pids := range now {
		for _, p := range pids {
			if old[p] {
				return false
			}
			count++
		}
	}
	return count > 0
}

// verify checks that the master runs, that every pool has started the
// workers its process manager starts with, and that every pool's listen
// address accepts connections (and answers its ping path, where it has one).
func (b *Backend) verify(ctx context.Context) error {
	running, state, master := b.serviceState(ctx)
	if !running {
		return ops.Failedf("php-fpm is not running (%s)", state)
	}
	d, err := b.scanPools()
	if err != nil {
		return err
	}
	if err := b.waitWorkers(ctx, master, d); err != nil {
		return err
	}
	var bad []string
	for _, p := range d.pools {
		addr, err := parseListen(p.directives["listen"], p.name)
		if err != nil {
			continue // not an address poolvisor can check
		}
		cctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
		err = addr.dial(cctx)
		// A pool that admits only some clients drops poolvisor's ping.
		if ping := p.directives["ping.path"]; err == nil && ping != "" && p.directives["listen.allowed_clients"] == "" {
			var r *fastcgi.Response
			if r, err = fastcgi.Get(cctx, addr.network, addr.addr, ping, ""); err == nil && r.Status != 200 {
				err = fmt.Errorf("ping answered HTTP %d", r.Status)
			}
		}
		cancel()
		if err != nil {
			bad = append(bad, fmt.Sprintf("pool %s on %s: %v", p.name, addr, err))
		}
	}
	if len(bad) > 0 {
		return ops.Failedf("not every pool accepts connections: %s", strings.Join(bad, "; "))
	}
	return nil
}

// waitWorkers waits until every pool has at least the workers its process
// manager starts with: php-fpm forks them right after it reports ready, and
// a pool whose workers die at once never gets there.
func (b *Backend) waitWorkers(ctx context.Context, master int, d *poolDir) error {
	if master == 0 {
		return nil // the service manager runs it, but its pid is unknown
	}
	deadline := time.Now().Add(b.cfg.ReloadTimeout)
	for {
		now := fpmWorkerPIDs(master)
		var short []string
		for _, p := range d.pools {
			if want := startWorkers(p.directives); len(now[p.name]) < want {
				short = append(short, fmt.Sprintf("pool %s has %d of its %d workers", p.name, len(now[p.name]), want))
			}
		}
		if len(short) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return ops.Failedf("php-fpm did not start every pool's workers: %s", strings.Join(short, "; "))
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return ops.Fail(err, "gave up waiting for php-fpm's workers")
		}
	}
}

// startWorkers is how many workers php-fpm starts a pool with: all of them
// for static, pm.start_servers (by default halfway between the spare
// bounds) for dynamic, none for ondemand.
func startWorkers(d map[string]string) int {
	n := func(k string) int { v, _ := strconv.Atoi(d[k]); return v }
	switch d["pm"] {
	case "static":
		return n("pm.max_children")
	case "dynamic":
		if _, ok := d["pm.start_servers"]; ok {
			return n("pm.start_servers")
		}
		return n("pm.min_spare_servers") + (n("pm.max_spare_servers")-n("pm.min_spare_servers"))/2
	}
	return 0
}

// waitGone waits a little for a master that logged its failure to exit, so
// that what comes next does not signal a dying process.
func (b *Backend) waitGone(ctx context.Context) {
	deadline := time.Now().Add(2 * time.Second)
	for b.masterPID(ctx) != 0 && time.Now().Before(deadline) {
		if sleep(ctx, 10*time.Millisecond) != nil {
			return
		}
	}
}
