package supervisor

// This file models how supervisord reads its config files: Python's
// configparser as supervisord sets it up, line by line, so that edits can
// keep every untouched line byte for byte and refuse any change of structure.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// progSplitLines splits s after each line break; like Python's text files it
// takes \n, \r\n and a lone \r as line breaks.
func progSplitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(out, s)
		}
		j := i + 1
		if s[i] == '\r' && j < len(s) && s[j] == '\n' {
			j++
		}
		out = append(out, s[:j])
		s = s[j:]
	}
	return out
}

func progCutLineBreak(line string) (content, eol string) {
	content = strings.TrimRight(line, "\r\n")
	return content, line[len(content):]
}

// progPySpace is Python's str.isspace for one character, which configparser
// uses to strip values, find indentation and find inline comments.
func progPySpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

func progPyStrip(s string) string  { return strings.TrimFunc(s, progPySpace) }
func progPyRStrip(s string) string { return strings.TrimRightFunc(s, progPySpace) }

// progPyLower is Python's str.lower, which configparser's optionxform
// applies to every key. It differs from strings.ToLower in one character:
// U+0130 (İ) becomes "i" and U+0307 (a combining dot), so that
// "stdout_logfİle" is an unknown key to supervisord, not stdout_logfile;
// reading it as Go does would let a second, hidden value of a key pass
// every check while supervisord acts on the first.
func progPyLower(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// progDoc is a file read the way Python's configparser reads it.
type progDoc struct{ sections []*progSection }

type progSection struct {
	header string // the text between [ and ]
	line   int    // index of the header line
	last   int    // index of the section's last line of content
	opts   []*progOption
}

type progOption struct {
	key   string   // lower-cased, as configparser's optionxform makes it
	parts []string // the first line's value and the continuation lines
	line  int      // index of the key's line
	conts []int    // indexes of its continuation lines
	// valStart and valEnd delimit the value on the key's line, in bytes.
	valStart, valEnd int
}

func (o *progOption) value() string { return progPyRStrip(strings.Join(o.parts, "\n")) }

func (s *progSection) find(key string) []*progOption {
	var out []*progOption
	for _, o := range s.opts {
		if o.key == key {
			out = append(out, o)
		}
	}
	return out
}

// effective returns each section's keys and values as configparser ends up
// with them: repeated sections merged, the last of a repeated key winning.
func (d *progDoc) effective() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range d.sections {
		m := out[s.header]
		if m == nil {
			m = map[string]string{}
			out[s.header] = m
		}
		for _, o := range s.opts {
			m[o.key] = o.value()
		}
	}
	return out
}

// parseProgINI mirrors RawConfigParser._read of Python 3.11 as supervisord sets
// it up: inline_comment_prefixes (';', '#'), strict=False, empty lines kept
// in values, '=' and ':' as delimiters.
func parseProgINI(lines []string) (*progDoc, error) {
	doc := &progDoc{}
	var cur *progSection
	var opt *progOption
	indentLevel := 0
	for i, raw := range lines {
		line, _ := progCutLineBreak(raw)
		cs := progCommentStart(line)
		if t := progPyStrip(line); strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			cs = 0
		}
		pre := line
		if cs >= 0 {
			pre = line[:cs]
		}
		value := progPyStrip(pre)
		if value == "" {
			if cs < 0 && opt != nil {
				opt.parts = append(opt.parts, "")
			}
			continue
		}
		indent := utf8.RuneCountInString(line) - utf8.RuneCountInString(strings.TrimLeftFunc(line, progPySpace))
		if cur != nil && opt != nil && indent > indentLevel {
			opt.parts = append(opt.parts, value)
			opt.conts = append(opt.conts, i)
			cur.last = i
			continue
		}
		indentLevel = indent
		if value[0] == '[' {
			if j := strings.LastIndexByte(value, ']'); j >= 2 {
				cur = &progSection{header: value[1:j], line: i, last: i}
				doc.sections = append(doc.sections, cur)
				opt = nil
				continue
			}
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d comes before any [section]", i+1)
		}
		d := strings.IndexAny(value, "=:")
		key := progPyRStrip(value[:max(d, 0)])
		if d < 0 || key == "" {
			return nil, fmt.Errorf("line %d is neither a [section] nor a key=value line", i+1)
		}
		lead := len(pre) - len(strings.TrimLeftFunc(pre, progPySpace))
		rest := value[d+1:]
		opt = &progOption{
			key:      progPyLower(key),
			parts:    []string{progPyStrip(rest)},
			line:     i,
			valStart: lead + d + 1 + len(rest) - len(strings.TrimLeftFunc(rest, progPySpace)),
			valEnd:   lead + len(value),
		}
		cur.opts = append(cur.opts, opt)
		cur.last = i
	}
	return doc, nil
}

// progCommentStart returns where configparser's inline comment starts in line,
// or -1. It keeps configparser's quirk: the search goes in rounds over the
// n-th ';' and the n-th '#', and stops at the first round that finds a
// prefix at the line's start or after whitespace, so a later ' ;' can win
// over an earlier ' #' found only in a later round.
func progCommentStart(line string) int {
	prefixes := []byte{';', '#'}
	from := []int{-1, -1}
	start := -1
	for start < 0 && len(prefixes) > 0 {
		var nextP []byte
		var nextF []int
		for n, p := range prefixes {
			i := strings.IndexByte(line[from[n]+1:], p)
			if i < 0 {
				continue
			}
			i += from[n] + 1
			nextP, nextF = append(nextP, p), append(nextF, i)
			if r, _ := utf8.DecodeLastRuneInString(line[:i]); i == 0 || progPySpace(r) {
				if start < 0 || i < start {
					start = i
				}
			}
		}
		prefixes, from = nextP, nextF
	}
	return start
}
