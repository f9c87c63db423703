package phpfpm

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// php-fpm reads its config files one line at a time and hands each line to
// PHP's ini scanner in normal mode (sapi/fpm/fpm/fpm_conf.c,
// fpm_conf_load_ini_file). The functions here mirror the parts of that
// scanner that poolvisor reads and writes:
//
//   - a section header starts in the first column: "[name]", optionally
//     followed by blanks and a ";" comment;
//   - a directive is "key = value" or "key[offset] = value"; blanks around
//     the key and the value are ignored;
//   - ";" starts a comment anywhere outside quotes, so an unquoted value ends
//     there ("#" is no comment since PHP 7: a line starting with it is an
//     error);
//   - an unquoted value may not hold '=', '"', '\'' or the expression
//     operators & | ^ ~ ! ( ), "${NAME}" expands an environment variable, a
//     word that names a PHP constant (E_ALL) is replaced by its value, and
//     true/on/yes and false/off/no/none/null (any case) become "1" and "";
//   - "double quotes" keep everything, ';' included; inside them \" \\ and
//     \$ stand for " \ and $, any other backslash is kept, and "${" still
//     expands; blanks around a quoted part are dropped;
//   - 'single quotes' keep everything up to the next single quote;
//   - adjacent parts are concatenated.
//
// Values are decoded "as written": quotes and escapes are removed, but
// constants, booleans and ${NAME} are left as they stand, since their
// meaning depends on the PHP build and the environment of the running
// master. encodeValue quotes every value whose reading would depend on them,
// so for the values poolvisor writes, the decoded value is exactly what
// php-fpm reads.

// maxValueLen bounds one value; php-fpm has no limit, but no directive
// needs more and a chat message cannot carry much more anyway.
const maxValueLen = 4096

// errUnsupported marks a line poolvisor does not read.
var errUnsupported = errors.New("unsupported")

// splitKey splits "php_value[memory_limit]" into "php_value" and
// "memory_limit"; offset is "" and array false for a plain key.
func splitKey(key string) (name, offset string, array bool, err error) {
	i := strings.IndexByte(key, '[')
	if i < 0 {
		if strings.ContainsAny(key, "]") {
			return "", "", false, fmt.Errorf("unbalanced ']' in %q", key)
		}
		return key, "", false, nil
	}
	if !strings.HasSuffix(key, "]") || strings.Count(key, "[") != 1 || strings.Count(key, "]") != 1 {
		return "", "", false, fmt.Errorf("malformed array key %q", key)
	}
	return strings.TrimRight(key[:i], " \t"), strings.TrimLeft(key[i+1:len(key)-1], " \t"), true, nil
}

// decodeValue reads the value part of a directive line (everything after
// the first '='), as written; see the package comment above.
func decodeValue(s string) (string, error) {
	var out strings.Builder
	ws := "" // blanks seen after a bare part, kept only if another bare part follows
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == ';':
			return out.String(), nil
		case c == ' ' || c == '\t':
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			ws, i = s[i:j], j
			continue
		case c == '"':
			v, n, err := decodeDoubleQuoted(s[i+1:])
			if err != nil {
				return "", err
			}
			out.WriteString(v)
			i += 1 + n
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			ws = ""
			continue
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", errors.New("a single quote is not closed")
			}
			out.WriteString(ws + s[i+1:i+1+j])
			i += j + 2
		case c == '=':
			return "", errors.New("an unquoted '=' in the value")
		case c == '\r' || c == '\n' || c == 0:
			return "", errors.New("a line break or NUL in the value")
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t;\"'=\r\n\x00", rune(s[j])) {
				j++
			}
			out.WriteString(ws + s[i:j])
			i = j
		}
		ws = ""
	}
	return out.String(), nil
}

// decodeDoubleQuoted reads a double-quoted part whose opening quote is
// already consumed; it returns the value and how many bytes of s it used,
// the closing quote included.
func decodeDoubleQuoted(s string) (string, int, error) {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return out.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				out.WriteByte('\\')
				continue
			}
			next := s[i+1]
			// PHP's scanner takes a \" that ends the line as a backslash
			// and the closing quote, for Windows paths like "C:\dir\".
			if next == '"' && i+2 == len(s) {
				out.WriteByte('\\')
				continue
			}
			switch next {
			case '"', '\\', '$':
				out.WriteByte(next)
			default:
				out.WriteByte('\\')
				out.WriteByte(next)
			}
			i++
		case '\r', '\n', 0:
			return "", 0, errors.New("a line break or NUL in the value")
		default:
			out.WriteByte(c)
		}
	}
	return "", 0, errors.New("a double quote is not closed")
}

// boolWords are what PHP's ini scanner turns into "1" or "" when they stand
// alone and unquoted, in any case.
var boolWords = map[string]bool{"true": true, "on": true, "yes": true, "false": true, "off": true, "no": true, "none": true, "null": true}

// bareSafe reports whether v may be written without quotes: it then reads
// back as itself, whatever the PHP build or the environment.
func bareSafe(v string) bool {
	if v == "" || boolWords[strings.ToLower(v)] {
		return false
	}
	constantShaped, upper := true, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			constantShaped = constantShaped && i > 0
		case c == '_':
		case strings.IndexByte("./:@+,%-", c) >= 0:
			constantShaped = false
		default:
			return false
		}
	}
	// Every PHP constant has an upper-case letter in its name (E_ALL,
	// PHP_VERSION, SSLv2...), so a lower-case word never names one.
	return !(constantShaped && upper)
}

// checkValue refuses what no value may hold (SPEC §1).
func checkValue(v string) error {
	switch {
	case strings.ContainsAny(v, "\r\n"):
		return errors.New("it contains a line break; values are single lines")
	case strings.IndexByte(v, 0) >= 0:
		return errors.New("it contains a NUL byte")
	case !utf8.ValidString(v):
		return errors.New("it is not valid UTF-8 text")
	case len(v) > maxValueLen:
		return fmt.Errorf("it is longer than %d bytes", maxValueLen)
	}
	return nil
}

// encodeValue returns v as php-fpm must find it in a file to read it back
// as exactly v: bare when that is safe, else in double quotes with ", \ and
// $ escaped (so that "${" expands nothing and ';' starts no comment).
func encodeValue(v string) (string, error) {
	if err := checkValue(v); err != nil {
		return "", err
	}
	if bareSafe(v) {
		return v, nil
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(v) + `"`, nil
}

// literal reports whether the value part s of a directive line (what
// follows its '=') reads the same whatever the PHP build and the
// environment of the master: no ${NAME} that would expand, no bare word
// that names a constant or a boolean, no expression operator. The decoded
// value of a literal value is exactly what php-fpm acts on.
func literal(s string) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == ';':
			return true
		case c == '"':
			end := -1
			for j := i + 1; j < len(s) && end < 0; j++ {
				switch {
				case s[j] == '\\':
					j++
				case s[j] == '"':
					end = j
				case s[j] == '$' && j+1 < len(s) && s[j+1] == '{':
					return false
				}
			}
			if end < 0 {
				return false
			}
			i = end + 1
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return false
			}
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t;\"'", rune(s[j])) {
				j++
			}
			if w := s[i:j]; strings.Contains(w, "${") || strings.ContainsAny(w, "&|^~!(){}") || boolWords[strings.ToLower(w)] || constantLike(w) {
				return false
			}
			i = j
		}
	}
	return true
}

// constantLike reports whether a bare word has the shape of a PHP constant's
// name, which the ini scanner would replace by the constant's value.
func constantLike(w string) bool {
	upper := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return upper && w != ""
}
