// Package textfit cuts text to fit chat platforms' limits without breaking
// a character or, where it can, a line. Lengths are in bytes of UTF-8: the
// platforms count characters, and a text that fits in bytes fits in
// characters.
package textfit

import (
	"strings"
	"unicode/utf8"
)

// Truncate cuts s to at most limit bytes on a character boundary, ending it
// with an ellipsis when it was cut.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ell = "…"
	cut := max(0, limit-len(ell))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// Tail keeps the end of s within max bytes, starting at a line boundary
// when it cuts. It reports whether anything was cut.
func Tail(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	s = s[len(s)-max:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		return s[i+1:], true
	}
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return s, true
}

// FirstLine returns the first line of s, and the rest.
func FirstLine(s string) (string, string) {
	head, rest, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(head), strings.Trim(rest, "\n")
}

// FirstNonEmpty returns the first of s that is not blank, trimmed.
func FirstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
