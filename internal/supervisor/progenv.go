package supervisor

// This file reads environment= as supervisord does: Python's shlex in its
// non-POSIX mode, then dict_of_key_value_pairs.

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// progEnvWordChars are shlex's word characters plus the ones supervisor adds
// in dict_of_key_value_pairs; the placeholders stand for unknown text.
const progEnvWordChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/.+-():" + progUnknowable + progUnchecked

// progEnvTokens splits s as Python's shlex.shlex(s) does in its default,
// non-POSIX mode: words, quoted strings kept with their quotes, any other
// character alone. It reports a '#' outside quotes, which shlex reads as
// a comment to the end of the line.
func progEnvTokens(s string) (tokens []string, comment bool, err error) {
	const eof = -1
	state := ' '
	var tok strings.Builder
	pos := 0
	read := func() rune {
		if pos >= len(s) {
			return eof
		}
		r, n := utf8.DecodeRuneInString(s[pos:])
		pos += n
		return r
	}
	skipLine := func() {
		comment = true
		if i := strings.IndexByte(s[pos:], '\n'); i >= 0 {
			pos += i + 1
		} else {
			pos = len(s)
		}
	}
	isWord := func(r rune) bool { return r >= 0 && r < 0x80 && strings.ContainsRune(progEnvWordChars, r) }
	isSpace := func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }
	emit := func() {
		tokens = append(tokens, tok.String())
		tok.Reset()
	}
	for state != 0 {
		r := read()
		switch {
		case state == ' ':
			switch {
			case r == eof:
				state = 0
			case isSpace(r):
			case r == '#':
				skipLine()
			case isWord(r):
				tok.WriteRune(r)
				state = 'a'
			case r == '\'' || r == '"':
				tok.WriteRune(r)
				state = r
			default:
				tok.WriteRune(r)
				emit()
			}
		case state == '\'' || state == '"':
			if r == eof {
				return nil, comment, errors.New("unclosed quote")
			}
			tok.WriteRune(r)
			if r == state {
				emit()
				state = ' '
			}
		default: // in a word
			switch {
			case r == eof:
				emit()
				state = 0
			case isSpace(r):
				emit()
				state = ' '
			case r == '#':
				skipLine()
			case isWord(r) || r == '\'' || r == '"':
				tok.WriteRune(r)
			default:
				emit()
				tokens = append(tokens, string(r))
				state = ' '
			}
		}
	}
	return tokens, comment, nil
}

// progParseEnvironment reads KEY=val,KEY2="val 2" as dict_of_key_value_pairs
// does, and refuses what it refuses. It is stricter in three ways: keys are
// variable names, pairs are separated by commas (supervisord skips any one
// token there), and no '#' outside quotes (supervisord would drop the rest).
func progParseEnvironment(key, v string) (map[string]string, error) {
	const usage = "KEY=value pairs separated by commas, such as APP_ENV=production,QUEUES=\"high,low\" (quote values with spaces, commas, # or characters other than letters, digits and _ / . + - ( ) :)"
	tokens, comment, err := progEnvTokens(v)
	if err != nil {
		return nil, ops.Invalidf("%s has an unclosed quote; it must be %s", key, usage)
	}
	if comment {
		return nil, ops.Invalidf("%s has a # outside quotes, where supervisord starts a comment and drops the rest; it must be %s", key, usage)
	}
	env := map[string]string{}
	for i := 0; i < len(tokens); i += 4 {
		if i+3 > len(tokens) || tokens[i+1] != "=" || !progEnvName(tokens[i]) ||
			i+3 < len(tokens) && tokens[i+3] != "," {
			after := ""
			if i > 0 {
				after = " after " + tokens[i-4] + "="
			}
			return nil, ops.Invalidf("%s must be %s; supervisord can't read it%s", key, usage, after)
		}
		env[tokens[i]] = strings.Trim(tokens[i+2], "'\"")
	}
	return env, nil
}

func progEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
