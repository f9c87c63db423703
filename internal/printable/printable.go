package shell

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s made safe to write to a terminal: every control
// character but line feed and tab (ESC, CR, backspace, DEL, the C1 set
// with its one-byte CSI), every bidirectional formatting mark, and every
// byte that is not UTF-8 is written as a visible escape (\x1b, \u202e)
// or U+FFFD instead.
//
// What exec and console print comes, through the socket, from whatever
// answers there, and holds text that chat users and programs wrote (a
// refused command in the audit trail, a description supervisord
// reports). Written raw, an escape sequence could retitle the terminal,
// set its clipboard (OSC 52), redraw an earlier line or turn "[failed]"
// into what looks like success; root is the likely reader.
func Printable(s string) string {
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
