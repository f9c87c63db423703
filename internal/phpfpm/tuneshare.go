package phpfpm

import (
	"fmt"
	"math"
	"slices"
)

// poolNeed is what the split of a budget knows of one pool.
type poolNeed struct {
	name    string
	current int64   // pm.max_children now
	cost    float64 // MB one worker takes at full load; 0: not measured
	demand  float64 // the pool's weight, above 0
	kept    bool    // the pool keeps current (too few samples, protected, not editable)
}

// errBudget is a budget too small for one worker of each pool besides
// what the kept pools hold.
type errBudget struct {
	budget, need float64
}

func (e errBudget) Error() string {
	return fmt.Sprintf("a budget of %.0f MB is less than the %.0f MB that one worker of each pool (and the pools that keep their size) take", e.budget, e.need)
}

// share splits budget (MB) among pools: each kept pool holds its current
// size at its cost (unmeasured, at the dearest measured worker, so its
// share is not underestimated); every other pool gets one worker, then
// what is left is shared by demand, each pool's share divided by its
// worker's cost and rounded down, and the memory the rounding left over
// goes, a worker at a time, to the pool with the least memory for its
// demand. The sum of advised × cost never exceeds the budget; no pool gets
// less than one worker. It returns the advice in the order of pools.
func share(budget float64, pools []poolNeed) ([]int64, error) {
	advised := make([]int64, len(pools))
	dearest := 0.0
	for _, p := range pools {
		if !p.kept {
			dearest = max(dearest, p.cost)
		}
	}
	avail, minimum, demand := budget, 0.0, 0.0
	for i, p := range pools {
		if p.kept {
			advised[i] = p.current
			avail -= float64(p.current) * keptCost(p, dearest)
			continue
		}
		advised[i] = 1
		minimum += p.cost
		demand += p.demand
	}
	if dearest == 0 { // nothing measured: every pool keeps its size
		return advised, nil
	}
	if avail < minimum {
		return nil, errBudget{budget: budget, need: budget - avail + minimum}
	}
	extra := avail - minimum
	left := avail
	for i, p := range pools {
		if p.kept {
			continue
		}
		advised[i] += int64(math.Floor(extra * p.demand / demand / p.cost))
		left -= float64(advised[i]) * p.cost
	}
	for {
		best := -1
		for i, p := range pools {
			if p.kept || p.cost > left {
				continue
			}
			if best < 0 || p.demand/(float64(advised[i])*p.cost) > pools[best].demand/(float64(advised[best])*pools[best].cost) {
				best = i
			}
		}
		if best < 0 {
			return advised, nil
		}
		advised[best]++
		left -= pools[best].cost
	}
}

// split shares budget (MB) among the pools of every instance of ms in one
// call of share, so that demand decides across them, and sets each pool's
// advised size and memory at full load. It returns the memory of all of
// them at full load.
func split(budget float64, ms []*measured) (float64, error) {
	var needs []poolNeed
	for _, m := range ms {
		needs = append(needs, m.needs...)
	}
	advised, err := share(budget, needs)
	if err != nil {
		return 0, err
	}
	dearest := 0.0
	for _, n := range needs {
		if !n.kept {
			dearest = max(dearest, n.cost)
		}
	}
	full, i := 0.0, 0
	for _, m := range ms {
		for j := range m.pools {
			p := &m.pools[j]
			p.AdvisedMaxChildren = advised[i]
			p.FullLoadMB = round1(float64(advised[i]) * keptCost(needs[i], dearest))
			full = round1(full + p.FullLoadMB)
			i++
		}
	}
	return full, nil
}

// keptCost is what one worker of a kept pool is counted at.
func keptCost(p poolNeed, dearest float64) float64 {
	if p.cost > 0 {
		return p.cost
	}
	return dearest
}

// percentile returns the nearest-rank q-th percentile (0 < q ≤ 1) of v.
func percentile(v []int64, q float64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
