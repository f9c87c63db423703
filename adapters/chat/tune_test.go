package chat

import (
	"slices"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestTuneLinesHeld: a sharing instance that is down is named after the
// total, with what it holds of the budget, on every platform.
func TestTuneLinesHeld(t *testing.T) {
	id := func(s string) string { return s }
	s := Style{Escape: id, Bold: id, Code: id}
	tune := ops.FPMTune{BudgetMB: 400, BudgetSource: "--budget-mb, shared by PHP a, b", FullLoadMB: 360,
		Pools: []ops.PoolTune{{PHP: "a", Name: "app", PM: "static", CurrentMaxChildren: 2, AdvisedMaxChildren: 18, WorkerMB: 20, FullLoadMB: 360}},
		Shared: &ops.TuneShare{Instances: []string{"a", "b"}, FullLoadMB: 400,
			Held: []ops.TuneHeld{{PHP: "b", Why: "not running", Workers: 2, WorkerMB: 20, MB: 40}}}}
	lines := s.TuneLines(tune, 10)
	want := []string{
		"At full load: 360 MB of the 400 MB budget (--budget-mb, shared by PHP a, b), 400 MB with the pools of every instance that shares it.",
		"PHP b is not running: its pools are counted at their current size, 2 workers × 20 MB = 40 MB of the budget.",
	}
	if len(lines) != 3 || !slices.Equal(lines[1:], want) {
		t.Errorf("TuneLines =\n%q\nwant after the pool\n%q", lines, want)
	}
}
