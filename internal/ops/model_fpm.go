package ops

import (
	"fmt"
	"strconv"

	commands "github.com/poolvisor/poolvisor/internal/catalog"
)

// InstanceArg is the argument (the grammar's --php) that names the PHP-FPM
// installation an fpm.* operation concerns, on hosts that run several.
const InstanceArg = commands.Instance

// Pool is one PHP-FPM pool as fpm.pool.list shows it (SPEC §2).
type Pool struct {
	// PHP names the PHP-FPM instance the pool belongs to, on hosts that
	// run several; empty on a host with one.
	PHP    string `json:"php,omitempty"`
	Name   string `json:"name"`
	PM     string `json:"pm"`     // static, dynamic or ondemand
	Listen string `json:"listen"` // socket path or address, with $pool expanded
	File   string `json:"file"`
}

// PoolList is the data of fpm.pool.list and of fpm.pool.delete, which
// answers with the pools that remain.
type PoolList struct {
	Pools []Pool `json:"pools"`
	// Instances names every PHP-FPM instance listed, on a host that runs
	// several and when no --php chose one; empty otherwise.
	Instances []string `json:"instances,omitempty"`
	// Problems are the files that could not be read, with why.
	Problems []string `json:"problems,omitempty"`
}

// PoolDetail is one pool with every directive, as written in its file.
type PoolDetail struct {
	Name       string            `json:"name"`
	File       string            `json:"file"`
	Directives map[string]string `json:"directives"`
	Content    string            `json:"content,omitempty"` // the whole file, for a raw edit
}

// PoolShow is the data of fpm.pool.show, and of fpm.pool.create and
// fpm.pool.edit, which answer with the pool as it now is.
type PoolShow struct {
	Pool PoolDetail `json:"pool"`
}

// FPMStatus is the data of fpm.service.status.
//
// On a host with several PHP-FPM instances and no --php, State, PID,
// Version and Mode are the default instance's, Pools holds every
// instance's pools (each with its PHP) and Instances has one FPMStatus per
// instance, in configured order, each with its PHP set.
type FPMStatus struct {
	PHP       string       `json:"php,omitempty"` // the instance, when there are several
	State     string       `json:"state"`         // running, stopped, or what the service manager says
	PID       int          `json:"pid,omitempty"`
	Version   string       `json:"version,omitempty"` // like 8.2.36
	Mode      string       `json:"mode"`              // systemd, signal or command
	Pools     []PoolStatus `json:"pools"`
	Instances []FPMStatus  `json:"instances,omitempty"`
}

// PoolStatus is one pool in fpm.service.status: the figures of its status
// page, or a note saying why there are none.
type PoolStatus struct {
	PHP     string       `json:"php,omitempty"` // the instance, when there are several
	Name    string       `json:"name"`
	Listen  string       `json:"listen"`
	Figures *PoolFigures `json:"figures,omitempty"`
	Note    string       `json:"note,omitempty"`
}

// PoolFigures are the figures of a pool's status page (pm.status_path,
// read with ?json).
type PoolFigures struct {
	Pool               string `json:"pool"`
	ProcessManager     string `json:"process_manager"`
	StartSince         int64  `json:"start_since"`
	AcceptedConn       int64  `json:"accepted_conn"`
	ListenQueue        int64  `json:"listen_queue"`
	MaxListenQueue     int64  `json:"max_listen_queue"`
	ListenQueueLen     int64  `json:"listen_queue_len"`
	IdleProcesses      int64  `json:"idle_processes"`
	ActiveProcesses    int64  `json:"active_processes"`
	TotalProcesses     int64  `json:"total_processes"`
	MaxActiveProcesses int64  `json:"max_active_processes"`
	MaxChildrenReached int64  `json:"max_children_reached"`
	SlowRequests       int64  `json:"slow_requests"`
}

// FPMTune is the data of fpm.tune and fpm.tune.apply: the memory budget
// of one PHP-FPM instance, or of several that share one, and how it is
// shared among their pools.
type FPMTune struct {
	BudgetMB int64 `json:"budget_mb"`
	// BudgetSource says where the budget comes from: "--budget-mb",
	// "phpfpm.memory_budget_mb" or "measured", and which instances share
	// it when there are several ("measured, shared by PHP 7.4, 8.3").
	BudgetSource string `json:"budget_source"`
	// Measured holds the inputs of a measured budget.
	Measured *TuneMeasure `json:"measured,omitempty"`
	// Shared is set when BudgetMB is one budget of several instances.
	Shared *TuneShare `json:"shared,omitempty"`
	Pools  []PoolTune `json:"pools"`
	// FullLoadMB is the memory every pool takes at its advised size.
	FullLoadMB float64 `json:"full_load_mb"`
}

// TuneShare says which instances share one budget: their pools are sized
// by one split of it, so together they fit it.
type TuneShare struct {
	Instances []string `json:"instances"`
	// FullLoadMB is the memory the pools of all of them take at their
	// advised sizes, and those of Held at their current ones.
	FullLoadMB float64 `json:"full_load_mb"`
	// Held are the instances of Instances that could not be measured
	// (php-fpm not running): their pools still hold their share, counted
	// at their current size and taken out of the budget before the rest
	// is split, so that they fit it when they start again.
	Held []TuneHeld `json:"held,omitempty"`
}

// TuneHeld is a sharing instance counted at its current size: Workers
// (the sum of its pools' pm.max_children) × WorkerMB (the dearest worker
// measured among the instances that are up, at least an idle worker's
// floor) = MB of the budget.
type TuneHeld struct {
	PHP string `json:"php"`
	// Why is why it was not measured: "not running", or the error.
	Why      string  `json:"why"`
	Workers  int64   `json:"workers"`
	WorkerMB float64 `json:"worker_mb"`
	MB       float64 `json:"mb"`
	// Unread is set when its pool files could not be read either: then
	// nothing is counted for it, and Why says so.
	Unread bool `json:"unread,omitempty"`
}

// TuneMeasure is what a measured budget was computed from:
// MemAvailable + InstancePSS − Reserve (with a shared budget, InstancePSS
// is the sum of the sharing instances').
type TuneMeasure struct {
	MemTotalMB     int64 `json:"mem_total_mb"`
	MemAvailableMB int64 `json:"mem_available_mb"`
	InstancePSSMB  int64 `json:"instance_pss_mb"` // the master and every worker of the instance
	ReserveMB      int64 `json:"reserve_mb"`
}

// PoolTune is the advice for one pool: its share of the budget, by its
// observed demand, divided by the cost of one worker (a high percentile of
// its workers' PSS over several samples).
type PoolTune struct {
	PHP                string `json:"php,omitempty"` // the instance, when there are several
	Name               string `json:"name"`
	PM                 string `json:"pm,omitempty"`
	CurrentMaxChildren int64  `json:"current_max_children"`
	AdvisedMaxChildren int64  `json:"advised_max_children"`
	// WorkerMB is what one worker is counted at: its measured cost, or
	// a floor when that is an idle worker's (MeasuredMB then says what
	// was measured, and Note why).
	WorkerMB   float64 `json:"worker_mb"`
	MeasuredMB float64 `json:"measured_mb,omitempty"`
	Samples    int     `json:"samples"`
	// Demand is the pool's weight in the split (see phpfpm's tune).
	Demand     float64 `json:"demand"`
	FullLoadMB float64 `json:"full_load_mb"`
	// Kept says the pool keeps its setting (too few samples, protected,
	// or in a file poolvisor does not edit); Note says why.
	Kept bool   `json:"kept,omitempty"`
	Note string `json:"note,omitempty"`
}

// FPMWorkers is the data of fpm.pool.workers: every worker of one pool,
// from its status page, with its memory.
type FPMWorkers struct {
	Pool    string      `json:"name"`
	Workers []FPMWorker `json:"workers"`
	// Skipped counts the workers that exited while they were measured.
	Skipped int `json:"skipped,omitempty"`
}

// FPMWorker is one worker: its state and request from the status page
// (?full), its memory from /proc/PID/smaps_rollup. Shared is
// Shared_Clean + Shared_Dirty: pages another process maps too (OPcache's
// shared memory among them), which RSS counts in full in every worker and
// PSS divides among them.
type FPMWorker struct {
	PID        int    `json:"pid"`
	State      string `json:"state"`
	Method     string `json:"method,omitempty"`
	RequestURI string `json:"request_uri"`
	DurationMS int64  `json:"duration_ms"`
	Requests   int64  `json:"requests"`
	RSSKB      int64  `json:"rss_kb"`
	PSSKB      int64  `json:"pss_kb"`
	SharedKB   int64  `json:"shared_kb"`
}

// Sentence says what the split of a shared budget counted for h, in the
// words the advice and every chat surface use.
func (h TuneHeld) Sentence() string {
	who := "PHP " + h.PHP + " is not running"
	if h.Why != "not running" {
		who = "PHP " + h.PHP + " could not be measured (" + h.Why + ")"
	}
	if h.Unread {
		return who + ": nothing is counted for its pools, so when it runs again the host may hold more than the budget."
	}
	mb := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return fmt.Sprintf("%s: its pools are counted at their current size, %d workers × %s MB = %s MB of the budget.", who, h.Workers, mb(h.WorkerMB), mb(h.MB))
}
