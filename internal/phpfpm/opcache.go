package phpfpm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxHelperAnswer bounds the helper's answer: its JSON is a few hundred
// bytes, and anything much larger is not poolvisor's script speaking.
const maxHelperAnswer = 16 << 10

// maxOpcacheTries is how many pools /fpm opcache without a pool asks
// before it gives up, so a host of broken pools is not asked one by one.
const maxOpcacheTries = 3

// opcacheStatus handles fpm.opcache.status: the master's OPcache, asked
// through the named pool or the first that can run the helper.
func (b *Backend) opcacheStatus(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	pools, err := b.opcachePools(req.Op.Target)
	if err != nil {
		return ops.Outcome{}, err
	}
	if running, state, _ := b.serviceState(ctx); !running {
		return ops.Outcome{}, ops.Failedf("php-fpm is not running on %s (%s)", b.cfg.Host, state)
	}
	script := b.helperPath()
	if err := installHelper(script); err != nil {
		return ops.Outcome{}, ops.Fail(err, "poolvisor cannot install its OPcache script: %v", err)
	}
	var whys []string
	for _, e := range pools[:min(len(pools), maxOpcacheTries)] {
		st, _, err := b.askHelper(ctx, e, script, "status")
		if err == nil {
			data := ops.FPMOpcache{Pool: e.name, Opcache: st}
			return ops.Parts(data, opcacheParts(b.cfg.Host, b.cfg.Version, data)...), nil
		}
		_, why := ops.UserError(err)
		whys = append(whys, why)
	}
	return ops.Outcome{}, ops.Failedf("no pool on %s answered with its OPcache:\n  %s", b.cfg.Host, strings.Join(whys, "\n  "))
}

// opcachePools returns the pool called name, or every pool when name is
// "", that can run the helper; invalid, with why, when none can.
func (b *Backend) opcachePools(name string) ([]poolEntry, error) {
	d, err := b.scanPools()
	if err != nil {
		return nil, err
	}
	script := b.helperPath()
	if name != "" {
		e, err := d.find(name, b.cfg.Host)
		if err != nil {
			return nil, err
		}
		if why := helperRefusal(e, script); why != "" {
			return nil, ops.Invalidf("%s; ask through another pool of this php-fpm (OPcache is shared by all of them)", why)
		}
		return []poolEntry{e}, nil
	}
	var ok []poolEntry
	var whys []string
	for _, e := range d.pools {
		if why := helperRefusal(e, script); why != "" {
			whys = append(whys, why)
			continue
		}
		ok = append(ok, e)
	}
	if len(ok) == 0 {
		if len(whys) == 0 {
			return nil, ops.Invalidf("there are no pools on %s to ask for the OPcache", b.cfg.Host)
		}
		return nil, ops.Invalidf("no pool on %s can run poolvisor's OPcache script:\n  %s", b.cfg.Host, strings.Join(whys, "\n  "))
	}
	return ok, nil
}

// opcacheReset handles fpm.opcache.reset.
type opcacheReset struct{ b *Backend }

func (r opcacheReset) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := r.b
	if req.Op.Target == "" {
		return nil, ops.Invalidf("name the pool to reset through: /fpm opcache reset POOL")
	}
	pools, err := b.opcachePools(req.Op.Target)
	if err != nil {
		return nil, err
	}
	running, state, pid := b.serviceState(ctx)
	if !running {
		return nil, ops.Failedf("php-fpm is not running on %s (%s)", b.cfg.Host, state)
	}
	e := pools[0]
	fp := fmt.Sprintf("pool %s master pid %d", e.name, pid)
	summary := fmt.Sprintf("reset the OPcache of php-fpm on %s (master pid %d) through pool %s: every pool of this master compiles its scripts again at their next request", b.cfg.Host, pid, e.name)
	return &ops.Plan{Summary: summary, Fingerprint: fp, Apply: func(ctx context.Context) (ops.Outcome, error) {
		if _, _, now := b.serviceState(ctx); fmt.Sprintf("pool %s master pid %d", e.name, now) != fp {
			return ops.Outcome{}, ops.Conflictf("php-fpm on %s restarted since this reset was requested (master pid %d, now %d); its OPcache is new already, nothing was done", b.cfg.Host, pid, now)
		}
		script := b.helperPath()
		if err := installHelper(script); err != nil {
			return ops.Outcome{}, ops.Fail(err, "poolvisor cannot install its OPcache script: %v", err)
		}
		_, done, err := b.askHelper(ctx, e, script, "reset")
		if err != nil {
			return ops.Outcome{}, err
		}
		// OPcache empties at the next request that finds no script
		// running, so the status is asked for afterwards.
		st, _, err := b.askHelper(ctx, e, script, "status")
		if err != nil {
			return ops.Outcome{}, err
		}
		data := ops.FPMOpcache{Pool: e.name, Reset: &done, Opcache: st}
		if !done {
			return ops.Outcome{}, ops.FailedParts(data, append([]ops.Part{ops.Prose("opcache_reset() refused: OPcache is disabled in pool " + e.name)},
				opcacheParts(b.cfg.Host, b.cfg.Version, data)...)...)
		}
		return ops.Parts(data, append([]ops.Part{ops.Prose("Reset the OPcache of php-fpm on " + b.cfg.Host + ".")},
			opcacheParts(b.cfg.Host, b.cfg.Version, data)...)...), nil
	}}, nil
}

// helperAnswer is the helper's JSON, field by field; anything else in it
// makes the answer garbage.
type helperAnswer struct {
	Helper          int     `json:"helper"`
	Error           string  `json:"error"`
	Reset           *bool   `json:"reset"`
	Enabled         bool    `json:"enabled"`
	CacheFull       bool    `json:"cache_full"`
	RestartPending  bool    `json:"restart_pending"`
	Used            int64   `json:"used"`
	Free            int64   `json:"free"`
	Wasted          int64   `json:"wasted"`
	WastedPct       float64 `json:"wasted_pct"`
	HitRate         float64 `json:"hit_rate"`
	Hits            int64   `json:"hits"`
	Misses          int64   `json:"misses"`
	Scripts         int64   `json:"scripts"`
	Keys            int64   `json:"keys"`
	MaxKeys         int64   `json:"max_keys"`
	OOMRestarts     int64   `json:"oom_restarts"`
	HashRestarts    int64   `json:"hash_restarts"`
	ManualRestarts  int64   `json:"manual_restarts"`
	InternedUsed    int64   `json:"interned_used"`
	InternedFree    int64   `json:"interned_free"`
	InternedStrings int64   `json:"interned_strings"`
}

// askHelper runs the helper in pool e with action status or reset and
// returns what it reported, and for a reset whether opcache_reset agreed.
func (b *Backend) askHelper(ctx context.Context, e poolEntry, script, action string) (ops.OpcacheStatus, bool, error) {
	addr, err := parseListen(e.directives["listen"], e.name)
	if err != nil {
		return ops.OpcacheStatus{}, false, ops.Failedf("pool %s: its listen address: %v", e.name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	uri := "/" + filepath.Base(script)
	r, err := fastcgi.Do(ctx, addr.network, addr.addr, map[string]string{
		"GATEWAY_INTERFACE": "CGI/1.1",
		"REQUEST_METHOD":    "GET",
		"SCRIPT_FILENAME":   script,
		"SCRIPT_NAME":       uri,
		"DOCUMENT_URI":      uri,
		"REQUEST_URI":       uri,
		// .user.ini files are read from DOCUMENT_ROOT down to the
		// script's directory: only poolvisor's own directory.
		"DOCUMENT_ROOT":   filepath.Dir(script),
		"QUERY_STRING":    "",
		"SERVER_PROTOCOL": "HTTP/1.1",
		"SERVER_SOFTWARE": "poolvisor",
		"SERVER_NAME":     "localhost",
		"SERVER_PORT":     "80",
		"REMOTE_ADDR":     "127.0.0.1",
		"CONTENT_LENGTH":  "0",
		// Not HTTP_*: no HTTP client can set it through a web server.
		"POOLVISOR_OPCACHE_ACTION": action,
	})
	if err != nil {
		return ops.OpcacheStatus{}, false, ops.Fail(err, "pool %s did not answer on %s: %v", e.name, addr, err)
	}
	if r.Status != 200 {
		return ops.OpcacheStatus{}, false, ops.Failedf("pool %s could not run poolvisor's script %s: %s", e.name, script, refusedWhy(r))
	}
	a, err := parseHelper(r.Body)
	if err != nil {
		return ops.OpcacheStatus{}, false, ops.Fail(err, "pool %s answered something other than poolvisor's script would: %v", e.name, err)
	}
	done := a.Reset != nil && *a.Reset
	switch a.Error {
	case "":
	case "unavailable":
		return ops.OpcacheStatus{}, false, ops.Failedf("pool %s has no OPcache: the opcache extension is not loaded, or its functions are disabled (disable_functions)", e.name)
	case "restricted":
		return ops.OpcacheStatus{}, false, ops.Failedf("pool %s: opcache.restrict_api keeps poolvisor's script %s from OPcache's API", e.name, script)
	case "disabled":
		return ops.OpcacheStatus{Note: "opcache.enable is off for pool " + e.name}, done, nil
	default:
		return ops.OpcacheStatus{}, false, ops.Failedf("pool %s answered something other than poolvisor's script would (error %.40q)", e.name, a.Error)
	}
	mb := func(n int64) float64 { return math.Round(float64(n)/(1<<20)*10) / 10 }
	return ops.OpcacheStatus{
		Enabled: a.Enabled, UsedMB: mb(a.Used), FreeMB: mb(a.Free), WastedMB: mb(a.Wasted),
		WastedPercent: math.Round(a.WastedPct*100) / 100, HitRate: math.Round(a.HitRate*100) / 100,
		Hits: a.Hits, Misses: a.Misses, CachedScripts: a.Scripts, CachedKeys: a.Keys, MaxCachedKeys: a.MaxKeys,
		CacheFull: a.CacheFull, RestartPending: a.RestartPending,
		Restarts: ops.OpcacheRestarts{OOM: a.OOMRestarts, Hash: a.HashRestarts, Manual: a.ManualRestarts},
		Interned: ops.OpcacheInterned{UsedMB: mb(a.InternedUsed), FreeMB: mb(a.InternedFree), Strings: a.InternedStrings},
	}, done, nil
}

// parseHelper reads the helper's answer strictly: one JSON object of
// known fields, within maxHelperAnswer, with plausible figures. A pool may
// run anything its user wrote (auto_prepend_file), so its answer is
// checked like any other untrusted input.
func parseHelper(body []byte) (helperAnswer, error) {
	var a helperAnswer
	if len(body) > maxHelperAnswer {
		return a, fmt.Errorf("%d bytes, more than the %d poolvisor's script writes", len(body), maxHelperAnswer)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("not its JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return a, errors.New("not its JSON: more after the object")
	}
	if a.Helper != 1 {
		return a, errors.New("not its JSON: no helper version 1")
	}
	for _, n := range []int64{a.Used, a.Free, a.Wasted, a.Hits, a.Misses, a.Scripts, a.Keys, a.MaxKeys,
		a.OOMRestarts, a.HashRestarts, a.ManualRestarts, a.InternedUsed, a.InternedFree, a.InternedStrings} {
		if n < 0 {
			return a, errors.New("a negative figure")
		}
	}
	for _, p := range []float64{a.HitRate, a.WastedPct} {
		if p < 0 || p > 100 || math.IsNaN(p) {
			return a, errors.New("a percentage outside 0 to 100")
		}
	}
	return a, nil
}

// refusedWhy explains a request php-fpm refused, from what php-fpm itself
// says for the cases known here; nothing else the pool wrote is repeated.
func refusedWhy(r *fastcgi.Response) string {
	out := string(r.Stderr) + string(r.Body)
	switch {
	case strings.Contains(out, "security.limit_extensions"), strings.Contains(out, "Access denied"):
		return "php-fpm denied it (security.limit_extensions)"
	case strings.Contains(out, "Primary script unknown"), strings.Contains(out, "No input file specified"):
		return "php-fpm could not open it (an open_basedir in php.ini or php-fpm.conf, or the pool's user cannot read it)"
	}
	return fmt.Sprintf("HTTP %d instead of its JSON", r.Status)
}

// opcacheParts describes the OPcache of d: a line, then a table of its
// figures.
func opcacheParts(host, version string, d ops.FPMOpcache) []ops.Part {
	o := d.Opcache
	head := fmt.Sprintf("OPcache of PHP %s on %s, asked through pool %s (shared by every pool of this php-fpm): ", version, host, d.Pool)
	if !o.Enabled {
		note := "disabled"
		if o.Note != "" {
			note += " (" + o.Note + ")"
		}
		return []ops.Part{ops.Prose(head + note)}
	}
	head += "enabled"
	var flags []string
	if o.CacheFull {
		flags = append(flags, "cache full")
	}
	if o.RestartPending {
		flags = append(flags, "restart pending")
	}
	if len(flags) > 0 {
		head += ", " + strings.Join(flags, ", ")
	}
	rows := [][]string{
		{"OPCACHE", "NOW"},
		{"memory", fmt.Sprintf("%.1f MB used, %.1f MB free, %.1f MB wasted (%.1f%%)", o.UsedMB, o.FreeMB, o.WastedMB, o.WastedPercent)},
		{"hit rate", fmt.Sprintf("%.2f%% (%d hits, %d misses)", o.HitRate, o.Hits, o.Misses)},
		{"cached", fmt.Sprintf("%d scripts, %d keys of %d", o.CachedScripts, o.CachedKeys, o.MaxCachedKeys)},
		{"restarts", fmt.Sprintf("%d out of memory, %d hash full, %d manual", o.Restarts.OOM, o.Restarts.Hash, o.Restarts.Manual)},
		{"interned strings", fmt.Sprintf("%d strings, %.1f MB used, %.1f MB free", o.Interned.Strings, o.Interned.UsedMB, o.Interned.FreeMB)},
	}
	return []ops.Part{ops.Prose(head), ops.RowsTable(rows...)}
}
