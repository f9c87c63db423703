package phpfpm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func (b *Backend) status(ctx context.Context, _ ops.Request) (ops.Outcome, error) {
	st, running, err := b.statusData(ctx)
	if err != nil {
		return ops.Outcome{}, err
	}
	parts := statusParts("php-fpm on "+b.cfg.Host, st)
	if !running {
		return ops.Outcome{}, ops.FailedParts(st, parts...)
	}
	return ops.Parts(st, parts...), nil
}

// Status returns the service state and every pool's status figures, for
// the pool alerts that serve checks periodically.
func (b *Backend) Status(ctx context.Context) (ops.FPMStatus, error) {
	st, _, err := b.statusData(ctx)
	return st, err
}

// statusData gathers the service state and every pool's status page.
func (b *Backend) statusData(ctx context.Context) (ops.FPMStatus, bool, error) {
	running, state, pid := b.serviceState(ctx)
	st := ops.FPMStatus{State: state, PID: pid, Mode: b.cfg.Service.Mode, Version: b.fullVersion(ctx), Pools: []ops.PoolStatus{}}
	d, err := b.scanPools()
	if err != nil {
		return st, running, err
	}
	for _, p := range d.pools {
		ps := ops.PoolStatus{Name: p.name, Listen: expandPool(p.directives["listen"], p.name)}
		path := p.directives["pm.status_path"]
		switch {
		case path == "":
			ps.Note = fmt.Sprintf("no status page; enable it with /fpm pool edit %s --status-path /status", p.name)
		case !running:
			ps.Note = "php-fpm is not running"
		default:
			ps.Figures, err = b.poolFigures(ctx, p, path)
			if err != nil {
				ps.Note = "status page did not answer: " + err.Error()
			}
		}
		st.Pools = append(st.Pools, ps)
	}
	return st, running, nil
}

// poolFigures reads a pool's status page (?json) over FastCGI on the pool's
// own listen address.
func (b *Backend) poolFigures(ctx context.Context, p poolEntry, path string) (*ops.PoolFigures, error) {
	page, err := b.readStatus(ctx, p, path, "json")
	if err != nil {
		return nil, err
	}
	f := ops.PoolFigures(page.statusFigures)
	return &f, nil
}

// statusFigures are the figures of a pool's JSON status page, under
// php-fpm's names.
type statusFigures struct {
	Pool               string `json:"pool"`
	ProcessManager     string `json:"process manager"`
	StartSince         int64  `json:"start since"`
	AcceptedConn       int64  `json:"accepted conn"`
	ListenQueue        int64  `json:"listen queue"`
	MaxListenQueue     int64  `json:"max listen queue"`
	ListenQueueLen     int64  `json:"listen queue len"`
	IdleProcesses      int64  `json:"idle processes"`
	ActiveProcesses    int64  `json:"active processes"`
	TotalProcesses     int64  `json:"total processes"`
	MaxActiveProcesses int64  `json:"max active processes"`
	MaxChildrenReached int64  `json:"max children reached"`
	SlowRequests       int64  `json:"slow requests"`
}

// statusPage is a pool's JSON status page; with ?full, Processes lists
// every worker.
type statusPage struct {
	statusFigures
	Processes []statusProcess `json:"processes"`
}

// statusProcess is one worker of a full status page.
type statusProcess struct {
	PID             int    `json:"pid"`
	State           string `json:"state"`
	Requests        int64  `json:"requests"`
	RequestDuration int64  `json:"request duration"` // microseconds
	RequestMethod   string `json:"request method"`
	RequestURI      string `json:"request uri"`
}

// readStatus reads a pool's status page over FastCGI on the pool's own
// listen address, with query ("json" or "full&json").
func (b *Backend) readStatus(ctx context.Context, p poolEntry, path, query string) (*statusPage, error) {
	addr, err := parseListen(p.directives["listen"], p.name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	r, err := fastcgi.Get(ctx, addr.network, addr.addr, path, query)
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, fmt.Errorf("HTTP %d from %s", r.Status, path)
	}
	var page statusPage
	if err := json.Unmarshal(r.Body, &page); err != nil {
		return nil, fmt.Errorf("%w: %w", errNotStatus, err)
	}
	if page.Pool != p.name {
		return nil, fmt.Errorf("%w: it names pool %q", errNotStatus, page.Pool)
	}
	return &page, nil
}

// errNotStatus is a status page that answers something other than
// php-fpm's status JSON (pm.status_path pointing at a script, say).
var errNotStatus = errors.New("the status page is not php-fpm's status JSON")

var fullVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^PHP (\d+\.\d+\.\d+)`) })

// fullVersion returns the binary's version, like "8.2.36", or the
// configured one when the binary does not answer.
func (b *Backend) fullVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, b.cfg.Binary, "-v").Output()
	if m := fullVersionRE().FindStringSubmatch(string(out)); err == nil && m != nil {
		return m[1]
	}
	return b.cfg.Version
}

// statusParts describes st: a line for the service under its name (like
// "php-fpm on web-01"), a table of the pools' figures, notes on the pools
// without figures.
func statusParts(name string, st ops.FPMStatus) []ops.Part {
	head := fmt.Sprintf("%s: %s", name, st.State)
	if st.PID != 0 {
		head += fmt.Sprintf(", master pid %d", st.PID)
	}
	head += fmt.Sprintf(", PHP %s (service mode %s)", st.Version, st.Mode)
	rows := [][]string{{"POOL", "PM", "ACCEPTED", "QUEUE", "MAX QUEUE", "IDLE", "ACTIVE", "TOTAL", "MAX ACTIVE", "MAX REACHED", "SLOW"}}
	var notes []string
	for _, p := range st.Pools {
		f := p.Figures
		if f == nil {
			notes = append(notes, fmt.Sprintf("  %s: %s", p.Name, p.Note))
			continue
		}
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		rows = append(rows, []string{p.Name, f.ProcessManager, n(f.AcceptedConn), n(f.ListenQueue), n(f.MaxListenQueue),
			n(f.IdleProcesses), n(f.ActiveProcesses), n(f.TotalProcesses), n(f.MaxActiveProcesses), n(f.MaxChildrenReached), n(f.SlowRequests)})
	}
	parts := []ops.Part{ops.Prose(head)}
	if len(rows) > 1 {
		parts = append(parts, ops.RowsTable(rows...))
	}
	if len(notes) > 0 {
		parts = append(parts, ops.Prose(strings.Join(notes, "\n")))
	}
	return parts
}

// serviceAction handles fpm.service.reload and fpm.service.restart.
type serviceAction struct {
	b      *Backend
	action string // reload or restart
}

func (s serviceAction) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := s.b
	if s.action == "restart" && b.cfg.Service.Mode == "command" && b.cfg.Service.RestartCommand == "" {
		return nil, ops.Invalidf("php-fpm cannot be restarted on %s: phpfpm.service.restart_command is not set", b.cfg.Host)
	}
	running, state, pid := b.serviceState(ctx)
	if s.action == "reload" && !running {
		return nil, ops.Failedf("php-fpm is not running on %s (%s); /fpm restart starts it", b.cfg.Host, state)
	}
	if err := b.phpCheck(ctx, "", nil); err != nil {
		return nil, err
	}
	now := state
	if pid != 0 {
		now += fmt.Sprintf(", pid %d", pid)
	}
	rolling := req.Op.Has("rolling") && s.action == "reload"
	check := "then check that every pool accepts connections"
	if rolling {
		check = fmt.Sprintf("then wait up to %s until its master answers and every pool accepts connections on its listen address", b.cfg.ReloadTimeout)
	}
	summary := fmt.Sprintf("%s php-fpm on %s (now %s): %s, %s\n  php-fpm's own test of the configuration on disk passed",
		s.action, b.cfg.Host, now, b.describe(s.action), check)
	fp := fmt.Sprintf("%s pid %d", state, pid)
	if rolling {
		fp += " rolling"
	}
	return &ops.Plan{Summary: summary, Fingerprint: fp, Apply: func(ctx context.Context) (ops.Outcome, error) {
		return s.apply(ctx, fp, rolling)
	}}, nil
}

func (s serviceAction) apply(ctx context.Context, fp string, rolling bool) (ops.Outcome, error) {
	b := s.b
	unlock, err := b.lock(ctx)
	if err != nil {
		return ops.Outcome{}, err
	}
	defer unlock()
	if _, state, pid := b.serviceState(ctx); fmt.Sprintf("%s pid %d", state, pid) != strings.TrimSuffix(fp, " rolling") {
		return ops.Outcome{}, ops.Conflictf("php-fpm on %s changed since this %s was requested (now %s, pid %d); nothing was done, ask again", b.cfg.Host, s.action, state, pid)
	}
	m := b.markNow(ctx)
	do := b.reload
	if s.action == "restart" {
		do = b.restart
	}
	err = do(ctx)
	switch {
	case err == nil && rolling:
		if err = b.waitSettled(ctx, m); err == nil {
			err = b.verifyRolling(ctx)
		}
	case err == nil:
		err = b.settleAndVerify(ctx, m)
	}
	if err != nil {
		_, why := ops.UserError(err)
		msg := fmt.Sprintf("php-fpm on %s did not %s cleanly: %s", b.cfg.Host, s.action, why)
		if tail := logTail(m.log, m.off); tail != "" {
			msg += "\nphp-fpm's log:\n" + indent(tail, "  ")
		}
		return ops.Outcome{}, &ops.Error{Status: ops.StatusFailed, Msg: msg, Err: err}
	}
	st, _, err := b.statusData(ctx)
	if err != nil {
		return ops.Outcome{}, err
	}
	past := map[string]string{"reload": "Reloaded", "restart": "Restarted"}[s.action]
	return ops.Parts(st, append(statusParts(past+" php-fpm on "+b.cfg.Host, st), ops.Prose("Every pool accepts connections."))...), nil
}
