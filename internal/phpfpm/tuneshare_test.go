package phpfpm

import (
	"errors"
	"math/rand/v2"
	"testing"
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
