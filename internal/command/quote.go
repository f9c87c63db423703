package command

import (
	"strings"
	"unicode"
)

// Quote makes s one word of the grammar whatever it holds: single quotes
// keep everything literally, and a quote inside closes the quotes,
// escapes itself and opens them again.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Word is s as one word of the grammar, quoted (as Quote does) only when
// it is empty or holds a blank, a quote or a backslash. A blank is any
// that tokenize splits words on (unicode.IsSpace: a no-break space, an em
// space), not only ASCII's: left bare, such a value would be several
// words, and a form's field could add flags (--host all) of its own.
func Word(s string) string {
	if s != "" && !strings.ContainsAny(s, "'\"\\") && !strings.ContainsFunc(s, unicode.IsSpace) {
		return s
	}
	return Quote(s)
}

// Join makes words, as a shell split them (exec's arguments), one command
// of the grammar: each stays one word, so that `poolvisor exec -- supervisor
// add w --command "php artisan queue:work"` keeps the command whole.
func Join(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = Word(w)
	}
	return strings.Join(quoted, " ")
}
