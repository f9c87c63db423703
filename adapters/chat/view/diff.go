package view

import (
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// DiffLines returns the lines of a unified diff, without its final newline.
func DiffLines(text string) []string {
	return strings.Split(strings.TrimRight(text, "\n"), "\n")
}

// DiffCounts says how many lines a diff adds and removes, as "+3 −1".
func DiffCounts(d ops.Diff) string {
	return fmt.Sprintf("+%d −%d", d.Added, d.Removed)
}

// MoreLines says how many lines of a diff are not shown.
func MoreLines(n int) string {
	if n == 1 {
		return "… 1 more line not shown"
	}
	return fmt.Sprintf("… %d more lines not shown", n)
}

// MoreFiles says how many changed files are not shown, and what they change.
func MoreFiles(rest []ops.Diff) string {
	added, removed := 0, 0
	for _, d := range rest {
		added, removed = added+d.Added, removed+d.Removed
	}
	files := "files change"
	if len(rest) == 1 {
		files = "file changes"
	}
	return fmt.Sprintf("…and %d more %s (+%d −%d), not shown", len(rest), files, added, removed)
}

// FitLines returns how many of lines, from the first, fit whole in max
// bytes once joined with newlines.
func FitLines(lines []string, max int) int {
	n := 0
	for i, l := range lines {
		n += len(l)
		if i > 0 {
			n++
		}
		if n > max {
			return i
		}
	}
	return len(lines)
}

// Share divides total among parts that each want some of it, fairly: a
// part that wants no more than an equal share of what is left gets what it
// wants, and the others split the rest equally (max-min fairness). The
// shares never add up to more than total.
func Share(want []int, total int) []int {
	got := make([]int, len(want))
	open := make([]int, 0, len(want))
	for i, w := range want {
		if w > 0 {
			open = append(open, i)
		}
	}
	for total > 0 && len(open) > 0 {
		each := total / len(open)
		if each == 0 {
			for _, i := range open[:total] {
				got[i]++
			}
			break
		}
		var still []int
		given := 0
		for _, i := range open {
			give := min(each, want[i]-got[i])
			got[i] += give
			given += give
			if got[i] < want[i] {
				still = append(still, i)
			}
		}
		total -= given
		open = still
	}
	return got
}
