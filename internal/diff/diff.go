// Package diff renders what a write changes in a config file as a unified
// diff, the format operators read in code review, with secrets masked.
package diff

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/poolvisor/poolvisor/internal/secret"
)

// contextLines is how much unchanged text surrounds each change.
const contextLines = 3

// Mask hides the values of secrets in a config file, keeping their keys
// (see secret.File).
func Mask(text string) string { return secret.File(text) }

// Unified returns the unified diff from before to after of the file at path
// (nil before: the file is new; nil after: it is removed), with secrets
// masked, and how many lines it adds and removes. Equal contents give "".
func Unified(path string, before, after []byte) (text string, added, removed int) {
	if string(before) == string(after) && (before == nil) == (after == nil) {
		return "", 0, 0
	}
	from, to := "a"+path, "b"+path
	if before == nil {
		from = "/dev/null"
	}
	if after == nil {
		to = "/dev/null"
	}
	ud := difflib.UnifiedDiff{
		A:        splitLines(Mask(string(before))),
		B:        splitLines(Mask(string(after))),
		FromFile: from,
		ToFile:   to,
		Context:  contextLines,
	}
	if before == nil {
		ud.A = nil
	}
	if after == nil {
		ud.B = nil
	}
	text, err := difflib.GetUnifiedDiffString(ud)
	if err != nil { // only a failed write to its in-memory buffer
		return "", 0, 0
	}
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			added++
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	return text, added, removed
}

// splitLines keeps each line's newline, as difflib wants, without the empty
// last line that difflib.SplitLines adds after a final newline.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n"
	}
	return lines
}
