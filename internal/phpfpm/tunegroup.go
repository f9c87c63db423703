package phpfpm

import (
	"context"
	"errors"
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
// member that cannot be measured is left out, its error in errs; the
// others still share the budget. The error is the split's own: a bad
// --budget-mb, no memory left, or a budget too small.
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
	var names []string
	var pssKB int64
	for i, m := range sharers {
		if errs[i] != nil {
			sh.errs[m.b] = errs[i]
			continue
		}
		sh.of[m.b] = ms[i]
		in = append(in, ms[i])
		names = append(names, m.name)
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
	if len(in) > 1 {
		b.BudgetSource += ", shared by PHP " + strings.Join(names, ", ")
		b.Shared = &ops.TuneShare{Instances: names}
	}
	full, err := split(float64(b.BudgetMB), in)
	var small errBudget
	if errors.As(err, &small) {
		return shared{}, ops.Invalidf("PHP-FPM on %s (PHP %s) cannot be sized within %d MB (%s): one worker of each pool and the pools that keep their size need %.0f MB. Nothing was changed; give a larger --budget-mb.",
			g.host, strings.Join(names, ", "), b.BudgetMB, b.BudgetSource, small.need)
	}
	if err != nil {
		return shared{}, err
	}
	if b.Shared != nil {
		b.Shared.FullLoadMB = full
	}
	return sh, nil
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
		data.Shared = &s
	}
	return m.advice(data, target), nil
}
