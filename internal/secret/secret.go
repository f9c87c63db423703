// Package secret decides which config values are secrets and masks them in
// everything poolvisor shows: answers, diffs, approvals, history and the
// audit trail. Someone with the edit permission can still set a secret;
// nobody reads one back through poolvisor.
//
// The rule is one list of words (Name). Where a value holds several
// variables, like supervisord's environment=, only the values of the
// secret ones are masked, so the rest stays readable.
package secret

import (
	"strings"
)

// Mark is what a masked value shows instead.
const Mark = "••••"

// words mark a variable, directive or flag whose value is a secret, when its
// name contains one of them (in any case). PASS also covers PASSWORD and
// PASSWD; KEY covers API_KEY and APP_KEY.
var words = []string{"PASSWORD", "PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL"}

// Name reports whether a variable, directive or flag called name holds a
// secret: DB_PASSWORD, env[API_TOKEN], php_admin_value[mail.key], password.
func Name(name string) bool {
	u := strings.ToUpper(name)
	for _, w := range words {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// environmentKey is supervisord's program key whose value holds
// KEY="value" pairs; commandKey is its command line, whose flags and
// variables may hold secrets (`--api-token x`, `DB_PASSWORD=x app`).
const (
	environmentKey = "environment"
	commandKey     = "command"
)

// Value returns the value of directive key as answers show it: masked when
// key names a secret; for supervisord's environment, with the value of
// each secret variable masked and the others kept; for its command, with
// the secrets of the command line masked (Text).
func Value(key, value string) string {
	k := strings.TrimSpace(key)
	switch {
	case strings.EqualFold(k, environmentKey):
		return Pairs(value)
	case strings.EqualFold(k, commandKey):
		return Text(value)
	case Name(k) && strings.TrimSpace(value) != "":
		return Mark
	}
	return value
}

// Directives returns a copy of directives with Value applied to each.
func Directives(directives map[string]string) map[string]string {
	if directives == nil {
		return nil
	}
	out := make(map[string]string, len(directives))
	for k, v := range directives {
		out[k] = Value(k, v)
	}
	return out
}

// Pairs masks the value of every NAME=value in s whose NAME is a secret,
// read as supervisord reads environment= (KEY=value pairs separated by
// commas, a value quoted with ' or " or bare up to the next comma). A
// quoted value keeps its quotes around the mark. Any NAME=value is
// masked, even one inside another value: showing too little is safe,
// showing a secret is not.
func Pairs(s string) string { return pairs(s, false) }

// Text masks the secrets in a command line: a chat command as typed, or a
// program's command= (which supervisord splits as a shell would, its
// continuation lines joined with line breaks): every NAME=value whose
// NAME is a secret (a bare value ends at a space, quote or comma), and
// the word after a flag like --password or --api-token (a quoted word
// keeps its quotes around the mark), on the same line or the next.
// Inside a quoted word the same rules apply (`--command "app --token
// t"`), and a quoted word that is a secret NAME=value is masked to its
// closing quote ('DB_PASSWORD=a b'). Blanks and line breaks stay as they
// are, so a masked command= line still lines up in a diff.
func Text(s string) string {
	s = pairs(s, true)
	var b strings.Builder
	maskNext := false
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && space(s[j]) {
			j++
		}
		b.WriteString(s[i:j])
		if j == len(s) {
			break
		}
		end := wordEnd(s, j)
		w := s[j:end]
		switch {
		case maskNext && (w[0] == '"' || w[0] == '\'') && len(w) > 1 && w[len(w)-1] == w[0]:
			b.WriteString(w[:1] + Mark + w[:1])
		case maskNext:
			b.WriteString(Mark)
		default:
			b.WriteString(quoted(w))
		}
		flag := strings.Trim(w, `"'`)
		maskNext = !maskNext && strings.HasPrefix(flag, "--") && !strings.Contains(flag, "=") && Name(flag)
		i = end
	}
	return b.String()
}

// quoted returns the word w with Text applied inside each of its quoted
// parts: `--command "app --token t"` is a command line within one. A
// quoted part that is a secret NAME=value is masked whole: the quotes
// make its value one, blanks and all.
func quoted(w string) string {
	var b strings.Builder
	for i := 0; i < len(w); {
		q := w[i]
		if q != '"' && q != '\'' {
			b.WriteByte(q)
			i++
			continue
		}
		n := strings.IndexByte(w[i+1:], q)
		inner, closing := w[i+1:], ""
		if n >= 0 {
			inner, closing = w[i+1:i+1+n], w[i+1+n:i+2+n]
		}
		if k, _, ok := strings.Cut(inner, "="); ok && k != "" && strings.IndexFunc(k, func(r rune) bool { return r > 0x7f || !nameChar(byte(r)) }) < 0 && Name(k) {
			inner = k + "=" + Mark
		} else {
			inner = Text(inner)
		}
		b.WriteString(w[i:i+1] + inner + closing)
		if n < 0 {
			break
		}
		i += n + 2
	}
	return b.String()
}

// wordEnd returns where the word that starts at s[i] ends: at the next
// space outside quotes, a backslash keeping the character after it in the
// word (`a\ b` is one word to the shell, and to supervisord).
func wordEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\\' && i+1 < len(s):
			i++
		case c == '"' || c == '\'':
			quote = c
		case space(c):
			return i
		}
	}
	return i
}

// space is what separates the words of a command line: a blank, or the
// line break supervisord joins a value's continuation lines with.
func space(c byte) bool { return blank(c) || c == '\n' || c == '\r' }

func nameChar(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c == '[' || c == ']' ||
		c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func blank(c byte) bool { return c == ' ' || c == '\t' }

// pairs is Pairs; inText ends a bare value at a space or quote too, as
// the words of a command line end.
func pairs(s string, inText bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !nameChar(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && nameChar(s[j]) {
			j++
		}
		k := j
		for k < len(s) && blank(s[k]) {
			k++
		}
		if k >= len(s) || s[k] != '=' || !Name(s[i:j]) {
			b.WriteString(s[i:j])
			i = j
			continue
		}
		for k++; k < len(s) && blank(s[k]); k++ {
		}
		b.WriteString(s[i:k])
		end := valueEnd(s, k, inText)
		switch {
		case end == k:
		case s[k] == '"' || s[k] == '\'':
			b.WriteString(s[k:k+1] + Mark + s[k:k+1])
		default:
			b.WriteString(Mark)
		}
		i = end
	}
	return b.String()
}

// valueEnd returns where the value that starts at s[k] ends: after its
// closing quote (the end of s when it has none), or at the next comma or
// line break.
func valueEnd(s string, k int, inText bool) int {
	if k >= len(s) {
		return k
	}
	if q := s[k]; q == '"' || q == '\'' {
		if n := strings.IndexByte(s[k+1:], q); n >= 0 {
			return k + 1 + n + 1
		}
		return len(s)
	}
	for ; k < len(s); k++ {
		switch c := s[k]; {
		case c == ',' || c == '\n' || c == '\r':
			return k
		case inText && (blank(c) || c == '"' || c == '\''):
			return k
		}
	}
	return k
}
