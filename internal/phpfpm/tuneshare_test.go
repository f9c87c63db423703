package phpfpm

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestShare(t *testing.T) {
	tests := []struct {
		name   string
		budget float64
		pools  []poolNeed
		want   []int64
	}{
		{"by demand", 1000, []poolNeed{{name: "a", cost: 10, demand: 3}, {name: "b", cost: 10, demand: 1}}, []int64{75, 25}},
		{"dear workers get fewer", 1000, []poolNeed{{name: "a", cost: 50, demand: 1}, {name: "b", cost: 10, demand: 1}}, []int64{10, 50}},
		{"kept pool holds its size", 1000, []poolNeed{{name: "a", cost: 10, demand: 1}, {name: "k", current: 40, cost: 10, kept: true}}, []int64{60, 40}},
		{"unmeasured kept pool at the dearest cost", 1000, []poolNeed{{name: "a", cost: 20, demand: 1}, {name: "k", current: 10, kept: true}}, []int64{40, 10}},
		{"nothing measured keeps all", 10, []poolNeed{{name: "a", current: 5, kept: true}}, []int64{5}},
		{"one each at least", 31, []poolNeed{{name: "a", cost: 10, demand: 100}, {name: "b", cost: 10, demand: 1}, {name: "c", cost: 10, demand: 1}}, []int64{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := share(tt.budget, tt.pools)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("share = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestShareFitsTheBudget: whatever the pools, the advice fits the budget
// and gives every pool at least one worker, or says the budget is too small.
func TestShareFitsTheBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.IntN(6)
		pools := make([]poolNeed, n)
		for i := range pools {
			pools[i] = poolNeed{cost: 0.1 + float64(r.IntN(2000))/10, demand: 1 + float64(r.IntN(100)), current: int64(1 + r.IntN(50))}
			if r.IntN(5) == 0 {
				pools[i].kept = true
			}
		}
		budget := float64(r.IntN(20000))
		got, err := share(budget, pools)
		var small errBudget
		if errors.As(err, &small) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sum, measured := 0.0, false
		for i, p := range pools {
			if got[i] < 1 {
				t.Fatalf("pool %d advised %d", i, got[i])
			}
			if p.kept {
				if got[i] != p.current {
					t.Fatalf("kept pool %d advised %d, has %d", i, got[i], p.current)
				}
			} else {
				measured = true
			}
			sum += float64(got[i]) * p.cost
		}
		if measured && sum > budget+1e-6 {
			t.Fatalf("share(%v, %+v) = %v: %.1f MB, over the budget", budget, pools, got, sum)
		}
	}
}

func TestPercentile(t *testing.T) {
	v := []int64{5, 1, 9, 3, 7, 2, 8, 4, 6, 10}
	if got := percentile(v, 0.9); got != 9 {
		t.Errorf("p90 = %d, want 9", got)
	}
	if got := percentile([]int64{4}, 0.9); got != 4 {
		t.Errorf("p90 of one = %d", got)
	}
}

// TestSplitAcrossInstances: two instances' pools share one budget in one
// split, so that together they fit it (each advised alone would take the
// whole) and demand decides across instances: the busiest pool gets the
// most, whichever instance holds it.
func TestSplitAcrossInstances(t *testing.T) {
	mk := func(needs ...poolNeed) *measured {
		m := &measured{needs: needs}
		for _, n := range needs {
			m.pools = append(m.pools, ops.PoolTune{Name: n.name, CurrentMaxChildren: n.current})
		}
		return m
	}
	old := mk(poolNeed{name: "www", cost: 20, demand: 3}, poolNeed{name: "app", cost: 40, demand: 1})
	cur := mk(poolNeed{name: "www", cost: 20, demand: 1}, poolNeed{name: "legacy", current: 5, cost: 30, kept: true})
	const budget = 1000
	full, err := split(budget, []*measured{old, cur})
	if err != nil {
		t.Fatal(err)
	}
	sum, advised := 0.0, []int64{}
	for _, m := range []*measured{old, cur} {
		for _, p := range m.pools {
			sum += p.FullLoadMB
			advised = append(advised, p.AdvisedMaxChildren)
		}
	}
	if sum > budget || math.Abs(full-sum) > 0.01 {
		t.Errorf("the pools of both take %.1f MB (split says %.1f) of one %d MB budget: %+v %+v", sum, full, budget, old.pools, cur.pools)
	}
	// One call of share over every pool: the same advice.
	want, err := share(budget, append(slices.Clone(old.needs), cur.needs...))
	if err != nil || !slices.Equal(advised, want) {
		t.Errorf("advised %v, share over all pools %v (%v)", advised, want, err)
	}
	if cur.pools[1].AdvisedMaxChildren != 5 || cur.pools[1].FullLoadMB != 150 {
		t.Errorf("the kept pool = %+v", cur.pools[1])
	}
	if o, n := old.pools[0].AdvisedMaxChildren, cur.pools[0].AdvisedMaxChildren; o < 2*n {
		t.Errorf("old's www (demand 3) gets %d workers, new's www (demand 1) %d", o, n)
	}
	// Each alone with the whole budget, as before, would over-commit it.
	alone := 0.0
	for _, m := range []*measured{mk(old.needs...), mk(cur.needs...)} {
		f, err := split(budget, []*measured{m})
		if err != nil {
			t.Fatal(err)
		}
		alone += f
	}
	if alone <= budget {
		t.Errorf("advised alone, the two take %.1f MB: the test does not show the over-commit", alone)
	}
}

// TestTuneGroupSharers: --budget-mb is every instance's budget; without
// it, an instance with its own phpfpm.memory_budget_mb keeps it, and the
// others share the measured one (only when two or more do).
func TestTuneGroupSharers(t *testing.T) {
	a, b, own := &Backend{}, &Backend{}, &Backend{cfg: Config{MemoryBudgetMB: 512}}
	names := func(ms []member) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name    string
		members []member
		op      ops.Operation
		want    string
	}{
		{"--budget-mb covers all", []member{{"a", a}, {"b", b}, {"own", own}}, op("fpm.tune", "", "budget-mb", "4096"), "a,b,own"},
		{"measured: those without their own", []member{{"a", a}, {"b", b}, {"own", own}}, op("fpm.tune", ""), "a,b"},
		{"one without its own is alone", []member{{"a", a}, {"own", own}}, op("fpm.tune", ""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &tuneGroup{members: tt.members}
			if got := names(g.sharers(tt.op)); got != tt.want {
				t.Errorf("sharers = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSplitHolding: a sharing instance that could not be measured holds
// its pools' current size, at the dearest worker measured among the
// others, out of the budget; the others share the rest, so that all fit
// it once it runs again.
func TestSplitHolding(t *testing.T) {
	mk := func(needs ...poolNeed) *measured {
		m := &measured{needs: needs}
		for _, n := range needs {
			m.pools = append(m.pools, ops.PoolTune{Name: n.name, CurrentMaxChildren: n.current})
		}
		return m
	}
	t.Run("the rest is shared", func(t *testing.T) {
		up := mk(poolNeed{name: "www", cost: 30, demand: 2}, poolNeed{name: "app", cost: 25, demand: 1})
		held := []ops.TuneHeld{{PHP: "b", Why: "not running", Workers: 10}}
		const budget = 1000
		full, err := splitHolding(budget, []*measured{up}, held)
		if err != nil {
			t.Fatal(err)
		}
		if h := held[0]; h.WorkerMB != 30 || h.MB != 300 {
			t.Errorf("held = %+v, want 10 workers at the dearest 30 MB", h)
		}
		sum := 0.0
		var advised []int64
		for _, p := range up.pools {
			sum += p.FullLoadMB
			advised = append(advised, p.AdvisedMaxChildren)
		}
		if sum+held[0].MB > budget || math.Abs(full-(sum+held[0].MB)) > 0.01 {
			t.Errorf("up takes %.1f MB + held %.1f MB (full %.1f) of %d MB", sum, held[0].MB, full, budget)
		}
		if want, err := share(budget-300, up.needs); err != nil || !slices.Equal(advised, want) {
			t.Errorf("advised %v, share of the 700 MB left %v (%v)", advised, want, err)
		}
	})
	t.Run("an unmeasured worker is not counted as cheap", func(t *testing.T) {
		up := mk(poolNeed{name: "www", cost: 5, demand: 1})
		held := []ops.TuneHeld{{PHP: "b", Workers: 4}}
		if _, err := splitHolding(500, []*measured{up}, held); err != nil {
			t.Fatal(err)
		}
		if h := held[0]; h.WorkerMB != idleWorkerMB || h.MB != 4*idleWorkerMB {
			t.Errorf("held = %+v, want at least %d MB a worker", h, idleWorkerMB)
		}
	})
	t.Run("a budget the held pools leave too little of", func(t *testing.T) {
		up := mk(poolNeed{name: "www", cost: 30, demand: 1})
		held := []ops.TuneHeld{{PHP: "b", Workers: 10}}
		_, err := splitHolding(320, []*measured{up}, held)
		var small errBudget
		if !errors.As(err, &small) || small.need != 330 || small.budget != 320 {
			t.Errorf("err = %v (%+v), want a need of 300 MB held + one 30 MB worker", err, small)
		}
	})
}
