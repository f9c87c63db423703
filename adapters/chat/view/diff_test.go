package view

import (
	"slices"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

var (
	diffA = ops.Diff{Path: "/etc/a.conf", Text: "--- a/etc/a.conf\n+++ b/etc/a.conf\n@@ -1 +1 @@\n-x = 1\n+x = 2\n", Added: 1, Removed: 1}
	diffB = ops.Diff{Path: "/etc/b.conf", Text: "--- /dev/null\n+++ b/etc/b.conf\n@@ -0,0 +1 @@\n+y = 1\n", Added: 1}
)

func TestShareIsFair(t *testing.T) {
	tests := []struct {
		want  []int
		total int
		got   []int
	}{
		{[]int{10, 10}, 100, []int{10, 10}},
		{[]int{10, 1000, 1000}, 100, []int{10, 45, 45}},
		{[]int{3, 3, 3}, 7, []int{3, 2, 2}},
		{[]int{0, 5}, 3, []int{0, 3}},
		{[]int{5, 5}, 0, []int{0, 0}},
	}
	for _, tt := range tests {
		got := Share(tt.want, tt.total)
		if !slices.Equal(got, tt.got) {
			t.Errorf("Share(%v, %d) = %v, want %v", tt.want, tt.total, got, tt.got)
		}
	}
}

func TestFitLinesAndNotes(t *testing.T) {
	if n := FitLines([]string{"abc", "de", "f"}, 6); n != 2 {
		t.Errorf("FitLines = %d, want 2", n)
	}
	if n := FitLines([]string{"abcdef"}, 3); n != 0 {
		t.Errorf("FitLines of an overlong line = %d", n)
	}
	if MoreLines(1) != "… 1 more line not shown" || MoreLines(37) != "… 37 more lines not shown" {
		t.Errorf("MoreLines: %q %q", MoreLines(1), MoreLines(37))
	}
	if got := MoreFiles([]ops.Diff{diffA, diffB}); got != "…and 2 more files change (+2 −1), not shown" {
		t.Errorf("MoreFiles = %q", got)
	}
	if DiffCounts(diffA) != "+1 −1" || len(DiffLines(diffA.Text)) != 5 {
		t.Error("DiffCounts or DiffLines")
	}
}
