// Package view is what the chat renderers read from a core result: its data
// decoded from the JSON form that `poolvisor exec --json` prints (SPEC §2),
// whatever Go types the backends used, its typed host sections (Hosts), and
// the platform-neutral facts each renderer draws on (which states need
// attention first, uptimes). Renderers take a result's text from its body
// (ops.Result.Summary, Body, Diffs), never by cutting its Message apart.
// Each platform's package turns a view into its own message format.
package view

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Process is one Supervisor process.
type Process struct {
	Name        string `json:"name"`
	Group       string `json:"group"`
	State       string `json:"state"`
	PID         int    `json:"pid"`
	Description string `json:"description"`
	Uptime      int64  `json:"uptime_seconds"`
	SpawnErr    string `json:"spawnerr"`
}

// Program is the data of supervisor.program.show.
type Program struct {
	Name       string            `json:"name"`
	File       string            `json:"file"`
	Directives map[string]string `json:"directives"`
	Processes  []Process         `json:"processes"`
	Content    string            `json:"content"` // the whole file, when the backend gives it
}

// Log is the data of supervisor.program.logs.
type Log struct {
	Name      string `json:"name"`
	Stream    string `json:"stream"`
	Bytes     int    `json:"bytes"`
	Truncated bool   `json:"truncated"`
	Text      string `json:"text"`
}

// Pool is a PHP-FPM pool as fpm.pool.list and fpm.pool.show carry it.
type Pool struct {
	PHP        string            `json:"php"` // its PHP-FPM instance, on hosts that run several
	Name       string            `json:"name"`
	PM         string            `json:"pm"`
	Listen     string            `json:"listen"`
	File       string            `json:"file"`
	Directives map[string]string `json:"directives"`
	Content    string            `json:"content"` // the whole file, when the backend gives it
}

// FPMStatus is the data of fpm.service.status, reload and restart.
type FPMStatus struct {
	State string       `json:"state"`
	Pools []PoolStatus `json:"pools"`
}

// PoolStatus is one pool in FPMStatus: its status page's figures, or a note
// saying why there are none.
type PoolStatus struct {
	PHP     string       `json:"php"` // its PHP-FPM instance, on hosts that run several
	Name    string       `json:"name"`
	Listen  string       `json:"listen"`
	Note    string       `json:"note"`
	Figures *PoolFigures `json:"figures"`
}

// PoolFigures are the figures of a pool's status page that renderers show.
type PoolFigures struct {
	ProcessManager     string `json:"process_manager"`
	ListenQueue        int64  `json:"listen_queue"`
	IdleProcesses      int64  `json:"idle_processes"`
	ActiveProcesses    int64  `json:"active_processes"`
	TotalProcesses     int64  `json:"total_processes"`
	MaxChildrenReached int64  `json:"max_children_reached"`
	SlowRequests       int64  `json:"slow_requests"`
}

// Data is the union of what results carry; a field is nil when absent.
type Data struct {
	Programs *[]Process `json:"programs"`
	Program  *Program   `json:"program"`
	Log      *Log       `json:"log"`
	Pools    *[]Pool    `json:"pools"`
	Pool     *Pool      `json:"pool"`
	// Workers are a pool's workers (fpm.pool.workers).
	Workers  *[]ops.FPMWorker `json:"workers"`
	Approval *ops.Approval    `json:"approval"`
	Plan     *string          `json:"plan"`
	// Roll is the steps of a run that went in steps (a rolling restart),
	// as they ended.
	Roll *ops.Progress `json:"roll"`
	// Opcache is a PHP-FPM master's OPcache (fpm.opcache.status, reset).
	Opcache *ops.OpcacheStatus `json:"opcache"`
}

// Decode reads a result's data through its JSON form. A shape it does not
// know leaves every field nil, and the renderers then show the text.
func Decode(v any) Data {
	var d Data
	if v == nil {
		return d
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return d
	}
	_ = json.Unmarshal(raw, &d)
	return d
}

// PoolLabel is a pool's name as lists show it: with its PHP-FPM instance
// first on hosts that run several ("8.3 · www").
func PoolLabel(php, name string) string {
	if php == "" {
		return name
	}
	return php + " · " + name
}

// Instances returns the PHP-FPM instances that an fpm.pool.list result
// names: none on a host that runs one.
func Instances(v any) []string {
	var d struct {
		Instances []string `json:"instances"`
	}
	if raw, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(raw, &d)
	}
	return d.Instances
}

// DecodeFPMStatus reads the data of an fpm.service operation.
func DecodeFPMStatus(v any) FPMStatus {
	var st FPMStatus
	if raw, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(raw, &st)
	}
	return st
}

// States lists Supervisor's states, what needs attention first.
var States = []string{"FATAL", "BACKOFF", "UNKNOWN", "EXITED", "STOPPING", "STARTING", "STOPPED", "RUNNING"}

// StateRank orders states for lists cut short: lower comes first. A state
// this version does not know ranks first: it is worth a look.
func StateRank(s string) int {
	if i := slices.Index(States, s); i >= 0 {
		return i
	}
	return 0
}

// StateCount is how many processes are in one state.
type StateCount struct {
	State string
	N     int
}

// CountStates counts processes by state, attention first.
func CountStates(procs []Process) []StateCount {
	counts := map[string]int{}
	for _, p := range procs {
		counts[p.State]++
	}
	out := make([]StateCount, 0, len(counts))
	for s, n := range counts {
		out = append(out, StateCount{State: s, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := StateRank(out[i].State), StateRank(out[j].State)
		if ri != rj {
			return ri < rj
		}
		return out[i].State < out[j].State
	})
	return out
}

// Uptime formats seconds as an operator reads them: 45s, 12m, 3h04m, 2d05h.
func Uptime(sec int64) string { return ops.Uptime(sec) }

// PoolLoad is one pool's line of fpm status: the state its mark should
// show (RUNNING, BACKOFF when it ran out of workers or queues, UNKNOWN
// without figures) and the figures in words.
func PoolLoad(p PoolStatus) (state, pm, figures string) {
	f := p.Figures
	if f == nil {
		return "UNKNOWN", "", p.Note
	}
	state = "RUNNING"
	if f.ListenQueue > 0 || f.MaxChildrenReached > 0 {
		state = "BACKOFF" // saturated now or before: worth a look
	}
	figures = fmt.Sprintf("%d active, %d idle of %d · queue %d", f.ActiveProcesses, f.IdleProcesses, f.TotalProcesses, f.ListenQueue)
	if f.MaxChildrenReached > 0 {
		figures += fmt.Sprintf(" · max children reached %d times", f.MaxChildrenReached)
	}
	if f.SlowRequests > 0 {
		figures += fmt.Sprintf(" · %d slow requests", f.SlowRequests)
	}
	return state, f.ProcessManager, figures
}

// DecodeTune reads the data of fpm.tune and fpm.tune.apply, and whether it
// is that shape (a budget).
func DecodeTune(v any) (ops.FPMTune, bool) {
	var t ops.FPMTune
	raw, err := json.Marshal(v)
	if err != nil || json.Unmarshal(raw, &t) != nil || t.BudgetMB <= 0 {
		return ops.FPMTune{}, false
	}
	return t, true
}
