package command

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTextLen bounds one command line. Nothing a person types is longer;
// anything longer is a paste gone wrong or an attack on the parser.
const maxTextLen = 16 << 10

// tokenize splits text into words the way a POSIX shell would for a simple
// command: whitespace separates words; single quotes keep everything literally;
// double quotes keep everything but let a backslash escape ", \ and $;
// outside quotes a backslash escapes the next character. Nothing is expanded.
//
// Carriage returns, line feeds, NUL and other control characters are refused
// outright: no config value may hold them, and a command is one line.
func tokenize(text string) ([]string, error) {
	if len(text) > maxTextLen {
		return nil, fmt.Errorf("the command is %d bytes long; the limit is %d", len(text), maxTextLen)
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("the command is not valid UTF-8")
	}
	for i, r := range text {
		switch {
		case r == '\n' || r == '\r':
			return nil, fmt.Errorf("line breaks are not allowed in a command (at byte %d); put each command on one line", i)
		case r == 0:
			return nil, fmt.Errorf("NUL bytes are not allowed in a command (at byte %d)", i)
		case r == '\t':
		case unicode.IsControl(r):
			return nil, fmt.Errorf("control character %U is not allowed in a command (at byte %d)", r, i)
		}
	}

	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		runes   = []rune(text)
		quoteAt = -1
	)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == '\'':
			inWord, quoteAt = true, i
			j := i + 1
			for j < len(runes) && runes[j] != '\'' {
				cur.WriteRune(runes[j])
				j++
			}
			if j == len(runes) {
				return nil, fmt.Errorf("unterminated single quote at character %d", quoteAt+1)
			}
			i = j
		case r == '"':
			inWord, quoteAt = true, i
			j := i + 1
			for ; j < len(runes) && runes[j] != '"'; j++ {
				if runes[j] == '\\' && j+1 < len(runes) && strings.ContainsRune(`"\$`+"`", runes[j+1]) {
					j++
				}
				cur.WriteRune(runes[j])
			}
			if j == len(runes) {
				return nil, fmt.Errorf("unterminated double quote at character %d", quoteAt+1)
			}
			i = j
		case r == '\\':
			inWord = true
			if i+1 < len(runes) {
				i++
				cur.WriteRune(runes[i])
			}
		case r == ' ' || r == '\t' || unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			inWord = true
			cur.WriteRune(r)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
