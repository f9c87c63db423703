package command

import "strings"

// Quote makes s one word of the grammar whatever it holds: single quotes
// keep everything literally, and a quote inside closes the quotes,
// escapes itself and opens them again.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Word is s as one word of the grammar, quoted (as Quote does) only when
// it is empty or holds a blank, a quote or a backslash.
func Word(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\") {
		return s
	}
	return Quote(s)
}
