package phpfpm

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// On a host with several PHP-FPM instances, their workers take the one
// host's memory: advised each on its own, every instance would be given
// the whole of --budget-mb, or the same free memory counted once per
// instance, and the advice applied could over-commit the host. So the
// instances that share a budget have their pools sized by one split of
// it: --budget-mb is the budget of every instance; without it, those with
// phpfpm.memory_budget_mb keep their own, and the others share one
// measured budget, MemAvailable (read once) + the sum of their PSS − one
// reserve. Every way of asking (all instances, --php, a pool, --apply, a
// saturation alert) gives an instance its part of that one split.

// tuneGroup is the PHP-FPM instances of one host, as /fpm tune shares a
// budget among them. Instances sets it on each of its backends when it
// has several; a backend alone has none.
type tuneGroup struct {
	host    string
	members []member // in the order of the instances
}

// member is one instance of a tuneGroup.
type member struct {
	name string
	b    *Backend
}

// sharers returns the members that share one budget under op: every one
// with --budget-mb, else those without phpfpm.memory_budget_mb; nil when
// fewer than two do (one alone is advised as on a host with one).
func (g *tuneGroup) sharers(op ops.Operation) []member {
	_, flag := op.Get("budget-mb")
	var out []member
	for _, m := range g.members {
		if flag || m.b.cfg.MemoryBudgetMB <= 0 {
			out = append(out, m)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// shared is one split of a budget among the pools of several instances.
type shared struct {
	budget ops.FPMTune // the budget and its source, Measured and Shared; no pools
	of     map[*Backend]*measured
	errs   map[*Backend]error // the members that could not be measured
}

// split measures sharers, concurrently (each samples its workers for most
// of a second), and splits their one budget among all their pools. A
// member that cannot be measured (its master not running) still holds
// its share: its pools are counted at their current size (hold), that
// memory is taken out of the budget, and the others share the rest; its
// error stays in errs for its own advice. When none can be measured, each
// says its own why. The error is the split's own: a bad --budget-mb, no
// memory left, or a budget too small.
func (g *tuneGroup) split(ctx context.Context, op ops.Operation, sharers []member) (shared, error) {
	flag, given, err := budgetFlag(op)
	if err != nil {
		return shared{}, err
	}
	ms := make([]*measured, len(sharers))
	errs := make([]error, len(sharers))
	var wg sync.WaitGroup
	for i, m := range sharers {
		wg.Go(func() { ms[i], errs[i] = m.b.measure(ctx, "") })
	}
	wg.Wait()
	sh := shared{of: map[*Backend]*measured{}, errs: map[*Backend]error{}}
	var in []*measured
	var names, up []string
	var held []ops.TuneHeld
	var pssKB int64
	for i, m := range sharers {
		names = append(names, m.name)
		if errs[i] != nil {
			sh.errs[m.b] = errs[i]
			held = append(held, hold(m, errs[i]))
			continue
		}
		sh.of[m.b] = ms[i]
		in = append(in, ms[i])
		up = append(up, m.name)
		pssKB += ms[i].pssKB
	}
	if len(in) == 0 {
		return sh, nil // each says why it was not measured (adviceOf)
	}
	b := &sh.budget
	switch {
	case given:
		b.BudgetMB, b.BudgetSource = flag, "--budget-mb"
	default:
		pss := "their PSS"
		if len(in) == 1 {
			pss = "its own PSS"
		}
		m, err := measureBudget(g.host, pssKB, pss)
		if err != nil {
			return shared{}, err
		}
		b.Measured = &m
		b.BudgetMB, b.BudgetSource = m.MemAvailableMB+m.InstancePSSMB-m.ReserveMB, "measured"
	}
	b.BudgetSource += ", shared by PHP " + strings.Join(names, ", ")
	b.Shared = &ops.TuneShare{Instances: names, Held: held}
	full, err := splitHolding(float64(b.BudgetMB), in, held)
	var small errBudget
	if errors.As(err, &small) {
		need := "one worker of each pool and the pools that keep their size need"
		if len(held) > 0 {
			need = "one worker of each pool of PHP " + strings.Join(up, ", ") + ", the pools that keep their size and those of PHP " + heldNames(held) + " at their current size need"
		}
		return shared{}, ops.Invalidf("PHP-FPM on %s (PHP %s) cannot be sized within %d MB (%s): %s %.0f MB. Nothing was changed; give a larger --budget-mb.",
			g.host, strings.Join(names, ", "), b.BudgetMB, b.BudgetSource, need, small.need)
	}
	if err != nil {
		return shared{}, err
	}
	b.Shared.FullLoadMB = full
	return sh, nil
}

// hold is member m, which could not be measured (why), as the split counts
// it: the sum of its pools' pm.max_children, read from its pool files,
// which need no running master. splitHolding prices them.
func hold(m member, why error) ops.TuneHeld {
	h := ops.TuneHeld{PHP: m.name, Why: "not running"}
	if !errors.Is(why, errNotRunning) {
		_, h.Why = ops.UserError(why)
	}
	d, err := m.b.scanPools()
	if err != nil {
		_, msg := ops.UserError(err)
		h.Unread, h.Why = true, h.Why+"; its pool files could not be read either ("+msg+")"
		return h
	}
	for _, p := range d.pools {
		n, _ := strconv.ParseInt(p.directives["pm.max_children"], 10, 64)
		h.Workers += max(0, n)
	}
	return h
}

// splitHolding splits budget (MB) among the pools of in once held, the
// sharers that could not be measured, have taken their pools' current
// size out of it, each worker at the dearest cost measured in in (at
// least idleWorkerMB: an unmeasured worker is not counted as cheap). It
// sets each held's WorkerMB and MB, and returns the memory of all at full
// load, held included; a budget too small says the need with them.
func splitHolding(budget float64, in []*measured, held []ops.TuneHeld) (float64, error) {
	cost := float64(idleWorkerMB)
	for _, m := range in {
		for _, n := range m.needs {
			cost = max(cost, n.cost)
		}
	}
	heldMB := 0.0
	for i := range held {
		h := &held[i]
		h.WorkerMB, h.MB = cost, round1(float64(h.Workers)*cost)
		heldMB = round1(heldMB + h.MB)
	}
	full, err := split(budget-heldMB, in)
	var small errBudget
	if errors.As(err, &small) {
		return 0, errBudget{budget: budget, need: small.need + heldMB}
	}
	if err != nil {
		return 0, err
	}
	return round1(full + heldMB), nil
}

// heldNames is the names of held, joined.
func heldNames(held []ops.TuneHeld) string {
	names := make([]string, len(held))
	for i, h := range held {
		names[i] = h.PHP
	}
	return strings.Join(names, ", ")
}

// adviceOf is member b's part of the split: every pool of it, or target
// alone; its error when it could not be measured.
func (sh shared) adviceOf(b *Backend, target string) (advice, error) {
	m, ok := sh.of[b]
	if !ok {
		if err := sh.errs[b]; err != nil {
			return advice{}, err
		}
		return advice{}, ops.Failedf("PHP-FPM on %s was not in the split of the budget", b.cfg.Host)
	}
	data := sh.budget
	if data.Measured != nil {
		mm := *data.Measured
		data.Measured = &mm
	}
	if data.Shared != nil {
		s := *data.Shared
		s.Held = slices.Clone(s.Held)
		data.Shared = &s
	}
	return m.advice(data, target), nil
}
