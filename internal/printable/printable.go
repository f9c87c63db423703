// Package printable makes text from elsewhere safe to write to a
// terminal. It imports nothing but the standard library, so that the thin
// client, which prints what serve's socket sends, can use it and still
// start fast.
//
// What exec and console print comes, through the socket, from whatever
// answers there, and holds text that chat users and programs wrote (a
// refused command in the audit trail, a description supervisord
// reports). Written raw, an escape sequence could retitle the terminal,
// set its clipboard (OSC 52), redraw an earlier line or turn "[failed]"
// into what looks like success; root is the likely reader.
package printable

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s made safe to write to a terminal: every control
// character but line feed and tab (ESC, CR, backspace, DEL, the C1 set
// with its one-byte CSI), every bidirectional formatting mark, and every
// byte that is not UTF-8 is written as a visible escape (\x1b, \u202e)
// or U+FFFD instead.
func String(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], string(utf8.RuneError)):
			b.WriteRune(utf8.RuneError) // a byte that is not UTF-8
		case unprintable(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unprintable(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unprintable(r rune) bool {
	return r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029')
}

// ErrNotJSON says that what was to be printed as JSON is not JSON.
var ErrNotJSON = errors.New("not a JSON text")

// JSON returns the JSON text doc with every character that String would
// escape written as a JSON escape (\u001b, \u007f, \u202e; \ufffd for a
// byte that is not UTF-8) instead: the same value to a JSON parser, and
// nothing a terminal acts on when the text is printed as it is.
// encoding/json leaves DEL, the C1 set and the bidirectional marks raw.
// (A program that decodes it, like `jq -r`, gets the characters back:
// what it prints is its own to make safe.) doc that is not JSON is
// refused.
func JSON(doc string) (string, error) {
	if !json.Valid([]byte(doc)) {
		return "", ErrNotJSON
	}
	if utf8.ValidString(doc) && !strings.ContainsFunc(doc, unprintable) {
		return doc, nil
	}
	var b strings.Builder
	inString, escaped := false, false
	for i, r := range doc {
		bad := unprintable(r) || (r == utf8.RuneError && !strings.HasPrefix(doc[i:], string(utf8.RuneError)))
		switch {
		case !inString && bad:
			// Valid JSON has no such character between its tokens but
			// for CR, which is white space there.
			b.WriteByte(' ')
		case bad:
			if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
				break
			}
			fmt.Fprintf(&b, `\u%04x`, r) // all in the BMP
		default:
			b.WriteRune(r)
		}
		switch {
		case escaped:
			escaped = false
		case inString && r == '\\':
			escaped = true
		case r == '"':
			inString = !inString
		}
	}
	return b.String(), nil
}
