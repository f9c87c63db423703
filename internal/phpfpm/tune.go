package phpfpm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Sampling of the workers' memory: a worker's PSS moves as it serves
// requests and as its neighbours come and go (they share OPcache's pages),
// so one reading is not its cost. tuneRounds readings tuneEvery apart
// bound the wait to well under a second.
const (
	tuneRounds = 3
	tuneEvery  = 250 * time.Millisecond
	// minSamples is the fewest readings a pool's worker cost is taken from.
	minSamples = 3
	// costPercentile is the reading a worker's cost is: a high one, since
	// max_children must hold when the workers are at their largest.
	costPercentile = 0.9
	// idleWorkerMB is the least a worker is counted at. A worker that has
	// served nothing (a fresh pool, a quiet night) measures 2–5 MB, while
	// the same worker holding a WordPress or Laravel request takes tens:
	// sized by its idle size, a pool would be advised hundreds of
	// workers that the host could never hold at once.
	idleWorkerMB = 20
)

// Reserve of a measured budget: what the kernel and the processes that
// start later (a cron job, a backup, a deploy) may need besides today's.
const (
	reserveMinMB   = 256
	reserveDivisor = 10 // a tenth of MemTotal, at least reserveMinMB
)

// errNotRunning is why an instance whose master is not running cannot be
// measured; a budget it shares still holds its pools (tunegroup.go).
var errNotRunning = errors.New("php-fpm is not running")

// tune answers fpm.tune: the advice, changing nothing.
func (b *Backend) tune(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	a, err := b.advise(ctx, req)
	if err != nil {
		return ops.Outcome{}, err
	}
	parts := tuneParts(b.cfg.Host, a.data)
	apply := "/fpm tune --apply"
	if name, ok := req.Op.Get(ops.InstanceArg); ok {
		apply += " --" + ops.InstanceArg + " " + name // without it, --apply would go to the default instance
	}
	parts = append(parts, ops.Prose("Advice only, nothing was changed; "+apply+" plans these edits (one write, through approval)."))
	return ops.Parts(a.data, parts...), nil
}

// advice is the advice for one request, with the pools it concerns.
type advice struct {
	data  ops.FPMTune
	pools map[string]poolEntry // by name, those data.Pools lists
	dir   *poolDir
}

// advise measures the instance and splits its budget among its pools; with
// a target, it reports that pool only (the split is the instance's). An
// instance that shares a budget with others of the host (tunegroup.go)
// gets its part of the one split of that budget.
func (b *Backend) advise(ctx context.Context, req ops.Request) (advice, error) {
	if g := b.group; g != nil {
		if sharers := g.sharers(req.Op); slices.ContainsFunc(sharers, func(m member) bool { return m.b == b }) {
			if err := b.hasPool(req.Op.Target); err != nil {
				return advice{}, err
			}
			sh, err := g.split(ctx, req.Op, sharers)
			if err != nil {
				return advice{}, err
			}
			return sh.adviceOf(b, req.Op.Target)
		}
	}
	m, err := b.measure(ctx, req.Op.Target)
	if err != nil {
		return advice{}, err
	}
	data := ops.FPMTune{Pools: []ops.PoolTune{}}
	if err := b.budget(req.Op, m.pssKB, &data); err != nil {
		return advice{}, err
	}
	if _, err := split(float64(data.BudgetMB), []*measured{m}); err != nil {
		var small errBudget
		if errors.As(err, &small) {
			return advice{}, ops.Invalidf("PHP-FPM on %s cannot be sized within %d MB (%s): one worker of each pool and the pools that keep their size need %.0f MB. Nothing was changed; give a larger --budget-mb.",
				b.cfg.Host, data.BudgetMB, data.BudgetSource, small.need)
		}
		return advice{}, err
	}
	return m.advice(data, req.Op.Target), nil
}

// measured is one instance as the advice sees it before any budget: its
// pools, each one's worker cost and demand, and the PSS of the whole
// instance.
type measured struct {
	dir   *poolDir
	pools []ops.PoolTune // in the order of dir.pools, advice not yet set
	needs []poolNeed     // likewise
	pssKB int64
}

// hasPool checks that target, when given, is one of the instance's pools.
func (b *Backend) hasPool(target string) error {
	if target == "" {
		return nil
	}
	d, err := b.scanPools()
	if err != nil {
		return err
	}
	_, err = d.find(target, b.cfg.Host)
	return err
}

// measure scans the instance's pools (target, when given, among them) and
// samples its workers: what the split of a budget needs of it.
func (b *Backend) measure(ctx context.Context, target string) (*measured, error) {
	d, err := b.scanPools()
	if err != nil {
		return nil, err
	}
	if target != "" {
		if _, err := d.find(target, b.cfg.Host); err != nil {
			return nil, err
		}
	}
	master := b.masterPID(ctx)
	if master == 0 {
		return nil, ops.Fail(errNotRunning, "php-fpm is not running on %s: its workers' memory and demand are what the advice rests on", b.cfg.Host)
	}
	samples, instanceKB, denied, err := sampleWorkers(ctx, master)
	if err != nil {
		return nil, ops.Fail(err, "the sampling of php-fpm's workers was cut short")
	}
	m := &measured{dir: d, pools: make([]ops.PoolTune, len(d.pools)), needs: make([]poolNeed, len(d.pools)), pssKB: instanceKB}
	for i, p := range d.pools {
		m.pools[i], m.needs[i] = b.poolAdvice(ctx, p, samples[p.name], denied)
	}
	return m, nil
}

// advice is m's part of a split, under the budget data holds: every pool,
// or the target alone.
func (m *measured) advice(data ops.FPMTune, target string) advice {
	data.Pools = []ops.PoolTune{}
	data.FullLoadMB = 0
	for _, p := range m.pools {
		data.Pools = append(data.Pools, p)
		data.FullLoadMB = round1(data.FullLoadMB + p.FullLoadMB)
	}
	if target != "" {
		for _, p := range data.Pools {
			if p.Name == target {
				data.Pools = []ops.PoolTune{p}
				break
			}
		}
	}
	a := advice{dir: m.dir, pools: map[string]poolEntry{}, data: data}
	for _, p := range m.dir.pools {
		a.pools[p.name] = p
	}
	return a
}

// budget sets the budget: --budget-mb, else phpfpm.memory_budget_mb, else
// measured. A measured budget is what php-fpm could take without pushing
// anything else out:
//
//	MemTotal − reserve − (what everything but this instance holds)
//	  = MemTotal − reserve − (MemTotal − MemAvailable − instance PSS)
//	  = MemAvailable + instance PSS − reserve
//
// MemAvailable is the kernel's own estimate of what can be handed out
// without swapping (free memory plus reclaimable cache), so what other
// processes, the kernel and unreclaimable cache hold is already out of it;
// the instance's PSS (master and workers, shared pages counted once) is
// added back, since the advice replaces it; the reserve is a tenth of
// MemTotal, at least 256 MB, for what starts later.
func (b *Backend) budget(op ops.Operation, instanceKB int64, data *ops.FPMTune) error {
	n, given, err := budgetFlag(op)
	if err != nil {
		return err
	}
	if given {
		data.BudgetMB, data.BudgetSource = n, "--budget-mb"
		return nil
	}
	if b.cfg.MemoryBudgetMB > 0 {
		data.BudgetMB, data.BudgetSource = int64(b.cfg.MemoryBudgetMB), "phpfpm.memory_budget_mb"
		return nil
	}
	m, err := measureBudget(b.cfg.Host, instanceKB, "its own PSS")
	if err != nil {
		return err
	}
	data.Measured = &m
	data.BudgetMB, data.BudgetSource = m.MemAvailableMB+m.InstancePSSMB-m.ReserveMB, "measured"
	return nil
}

// budgetFlag is --budget-mb, when given.
func budgetFlag(op ops.Operation) (int64, bool, error) {
	v, ok := op.Get("budget-mb")
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, false, ops.InvalidField("budget-mb", "--budget-mb %q is not a positive number of megabytes", v)
	}
	return n, true, nil
}

// measureBudget reads the host's memory for a measured budget (see
// budget) of PHP-FPM whose PSS is pssKB; pss names it in the refusal.
func measureBudget(host string, pssKB int64, pss string) (ops.TuneMeasure, error) {
	total, avail, err := memInfo()
	if err != nil {
		return ops.TuneMeasure{}, ops.Fail(err, "cannot read the host's memory from /proc/meminfo; give the budget with --budget-mb or phpfpm.memory_budget_mb")
	}
	m := ops.TuneMeasure{MemTotalMB: total / 1024, MemAvailableMB: avail / 1024, InstancePSSMB: pssKB / 1024,
		ReserveMB: max(reserveMinMB, total/1024/reserveDivisor)}
	if m.MemAvailableMB+m.InstancePSSMB-m.ReserveMB <= 0 {
		return ops.TuneMeasure{}, ops.Failedf("nothing is left for PHP-FPM on %s: MemAvailable %d MB + %s %d MB − reserve %d MB ≤ 0; give the budget with --budget-mb",
			host, m.MemAvailableMB, pss, m.InstancePSSMB, m.ReserveMB)
	}
	return m, nil
}

// poolAdvice is what is known of one pool before the split: its worker
// cost from its samples, its demand from its status page.
func (b *Backend) poolAdvice(ctx context.Context, p poolEntry, kb []int64, denied error) (ops.PoolTune, poolNeed) {
	cur, _ := strconv.ParseInt(p.directives["pm.max_children"], 10, 64)
	t := ops.PoolTune{Name: p.name, PM: p.directives["pm"], CurrentMaxChildren: cur, Samples: len(kb)}
	if t.PM == "" {
		t.PM = "dynamic"
	}
	need := poolNeed{name: p.name, current: cur}
	var idle string
	if len(kb) > 0 {
		// Rounded up to the tenth shown, so the figures add up as shown.
		t.WorkerMB = math.Ceil(float64(percentile(kb, costPercentile))/1024*10) / 10
		if t.WorkerMB < idleWorkerMB {
			t.MeasuredMB, t.WorkerMB = t.WorkerMB, idleWorkerMB
			idle = fmt.Sprintf("its workers measure %.1f MB, the size of a worker that has served little or nothing, so each is counted at %d MB; ask again once it has served its usual load", t.MeasuredMB, idleWorkerMB)
		}
		need.cost = t.WorkerMB
	}
	need.demand, t.Note = b.demand(ctx, p, len(kb))
	t.Note = joinNotes(idle, t.Note)
	t.Demand = round1(need.demand)
	var why string
	switch {
	case len(kb) < minSamples && denied != nil:
		why = fmt.Sprintf("its workers' memory could not be read (%v); poolvisor needs root or the pool's user", denied)
	case len(kb) < minSamples:
		why = fmt.Sprintf("%d samples of its workers' memory, too few to size it (at least %d: ask again while it runs workers)", len(kb), minSamples)
	case b.protected(p.name):
		why = "protected (phpfpm.protected_pools): poolvisor does not edit it"
	case p.why != "":
		why = "in a file poolvisor does not edit: " + p.why
	}
	if why != "" {
		need.kept, t.Kept = true, true
		t.Note = joinNotes("keeps its size: "+why, t.Note)
	}
	return t, need
}

// demand is a pool's weight in the split: the workers it has needed at
// once since it started (max active processes) plus the requests that had
// to wait for one (max listen queue), and half as much again when it hit
// pm.max_children, since its peak was cut short there. It is peaks, not
// volume (accepted conn): a pool that serves many quick requests needs few
// workers. Without a status page it is the workers it runs now.
func (b *Backend) demand(ctx context.Context, p poolEntry, workers int) (float64, string) {
	path := p.directives["pm.status_path"]
	if path == "" {
		return float64(1 + workers), fmt.Sprintf("no status page, so its demand is taken as the workers it runs now; enable it with /fpm pool edit %s --status-path /status", p.name)
	}
	page, err := b.readStatus(ctx, p, path, "json")
	if err != nil {
		return float64(1 + workers), "status page did not answer, so its demand is taken as the workers it runs now: " + err.Error()
	}
	d := float64(1 + page.MaxActiveProcesses + page.MaxListenQueue)
	if page.MaxChildrenReached > 0 {
		d *= 1.5
	}
	return d, ""
}

// sampleWorkers reads the PSS (kB) of every worker of master, tuneRounds
// times, by pool, and the PSS of the whole instance (master and workers)
// at the first reading. Workers that exit in between are left out; denied
// is the first worker that could not be read for another reason.
func sampleWorkers(ctx context.Context, master int) (byPool map[string][]int64, instanceKB int64, denied error, err error) {
	byPool = map[string][]int64{}
	for round := range tuneRounds {
		if round > 0 {
			if err := sleep(ctx, tuneEvery); err != nil {
				return nil, 0, nil, err
			}
		} else if m, err := readMem(master); err == nil {
			instanceKB += m.PSS
		}
		for name, pids := range fpmWorkerPIDs(master) {
			for _, pid := range pids {
				m, err := readMem(pid)
				switch {
				case errors.Is(err, errGone):
				case err != nil:
					if denied == nil {
						denied = err
					}
				default:
					byPool[name] = append(byPool[name], m.PSS)
					if round == 0 {
						instanceKB += m.PSS
					}
				}
			}
		}
	}
	return byPool, instanceKB, denied, nil
}

// tuneParts describes the advice: the budget, a table of the pools, the
// total at full load, notes.
func tuneParts(host string, t ops.FPMTune) []ops.Part {
	head := fmt.Sprintf("Memory budget for PHP-FPM on %s: %d MB (%s)", host, t.BudgetMB, t.BudgetSource)
	pss, among := "its own PSS", "the pools"
	var held []string
	if sh := t.Shared; sh != nil {
		up := measuredOf(sh)
		pss, among = "their PSS", "the pools of PHP "+strings.Join(up, ", ")
		if len(up) == 1 {
			pss = "PHP " + up[0] + "'s PSS"
		}
		for _, h := range sh.Held {
			held = append(held, h.Sentence())
		}
	}
	if m := t.Measured; m != nil {
		head += fmt.Sprintf(" = MemAvailable %d MB + %s %d MB − reserve %d MB", m.MemAvailableMB, pss, m.InstancePSSMB, m.ReserveMB)
	}
	share := ", shared among "
	if len(held) > 0 {
		share = "; the pools of PHP " + heldNames(t.Shared.Held) + " hold their current size of it (below), and the rest is shared among "
	}
	head += share + among + " by demand; a worker costs the 90th percentile of its pool's PSS readings."
	rows := [][]string{{"POOL", "PM", "DEMAND", "WORKER", "SAMPLES", "MAX CHILDREN", "FULL LOAD"}}
	var notes []string
	for _, p := range t.Pools {
		name := p.Name
		if p.PHP != "" {
			name = p.PHP + "/" + p.Name
		}
		worker := "-"
		if p.WorkerMB > 0 {
			worker = fmt.Sprintf("%.1f MB", p.WorkerMB)
		}
		if p.MeasuredMB > 0 {
			worker += fmt.Sprintf(" (idle: %.1f)", p.MeasuredMB)
		}
		rows = append(rows, []string{name, p.PM, strconv.FormatFloat(p.Demand, 'f', -1, 64), worker, strconv.Itoa(p.Samples),
			fmt.Sprintf("%d → %d", p.CurrentMaxChildren, p.AdvisedMaxChildren), fmt.Sprintf("%.0f MB", p.FullLoadMB)})
		if p.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", name, p.Note))
		}
	}
	full := fmt.Sprintf("At full load: %.0f MB of the %d MB budget.", t.FullLoadMB, t.BudgetMB)
	if s := t.Shared; s != nil && s.FullLoadMB != t.FullLoadMB {
		// One instance's part: the budget is the whole, so say the whole's load.
		full = fmt.Sprintf("At full load: %.0f MB of the %d MB budget, %.0f MB with the pools of every instance that shares it.", t.FullLoadMB, t.BudgetMB, s.FullLoadMB)
	}
	parts := []ops.Part{ops.Prose(head)}
	if len(held) > 0 {
		parts = append(parts, ops.Prose(strings.Join(held, "\n")))
	}
	parts = append(parts, ops.RowsTable(rows...), ops.Prose(full))
	if len(notes) > 0 {
		parts = append(parts, ops.Prose(strings.Join(notes, "\n")))
	}
	return parts
}

// measuredOf is the instances of sh whose pools the split sized: every
// one but those held at their current size.
func measuredOf(sh *ops.TuneShare) []string {
	var out []string
	for _, name := range sh.Instances {
		if !slices.ContainsFunc(sh.Held, func(h ops.TuneHeld) bool { return h.PHP == name }) {
			out = append(out, name)
		}
	}
	return out
}

func joinNotes(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
