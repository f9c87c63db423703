package phpfpm

import (
	"fmt"
	"regexp"
	"strings"
)

type lineKind int

const (
	lineBlank lineKind = iota
	lineComment
	lineSection
	lineDirective
)

// confLine is one line of a php-fpm config file, kept byte for byte.
type confLine struct {
	text    string // the line without its line break
	eol     string // "\n", "\r\n", or "" for a last line without one
	kind    lineKind
	section string // the section it is in (for a header: the one it opens)
	key     string // directives: "pm" or "php_value[memory_limit]"
	value   string // directives: the value as written, unquoted
}

// confFile is a php-fpm config file read line by line, the way php-fpm
// reads it, so that writing it back gives the same bytes.
type confFile struct {
	lines []confLine
}

var (
	keyNameRE   = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
	keyOffsetRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]*$`)
)

// parseConf reads data; an error names the line php-fpm would stop at.
func parseConf(data []byte) (*confFile, error) {
	f := &confFile{}
	section := ""
	rest := string(data)
	for n := 1; rest != ""; n++ {
		text, eol := rest, ""
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			text, eol, rest = rest[:i], "\n", rest[i+1:]
		} else {
			rest = ""
		}
		if strings.HasSuffix(text, "\r") {
			text, eol = text[:len(text)-1], "\r"+eol
		}
		l, err := parseLine(text, section)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if l.kind == lineSection {
			section = l.section
		}
		l.eol = eol
		f.lines = append(f.lines, l)
	}
	return f, nil
}

func parseLine(text, section string) (confLine, error) {
	l := confLine{text: text, section: section}
	trimmed := strings.TrimLeft(text, " \t")
	switch {
	case strings.ContainsAny(text, "\r\x00"):
		return l, fmt.Errorf("a carriage return or NUL inside the line")
	case trimmed == "":
		l.kind = lineBlank
	case trimmed[0] == ';':
		l.kind = lineComment
	case trimmed[0] == '#':
		return l, fmt.Errorf("'#' starts no comment in php-fpm's config files (use ';')")
	case trimmed[0] == '[' && trimmed != text:
		return l, fmt.Errorf("a section header must start in the first column")
	case text[0] == '[':
		end := strings.IndexByte(text, ']')
		if end < 0 {
			return l, fmt.Errorf("the section header has no ']'")
		}
		after := strings.TrimLeft(text[end+1:], " \t")
		if after != "" && after[0] != ';' {
			return l, fmt.Errorf("text after the section header")
		}
		name := strings.TrimRight(text[1:end], " \t")
		if name == "" || strings.ContainsAny(name, "\"'$[") {
			return l, fmt.Errorf("section header %q is not one poolvisor reads", text[:end+1])
		}
		l.kind, l.section = lineSection, name
	default:
		eq := strings.IndexByte(text, '=')
		if eq < 0 {
			return l, fmt.Errorf("%q is not a directive (no '=')", strings.TrimSpace(text))
		}
		key := strings.TrimSpace(text[:eq])
		name, offset, array, err := splitKey(key)
		if err != nil {
			return l, err
		}
		if !keyNameRE.MatchString(name) {
			return l, fmt.Errorf("%q is not a directive name", name)
		}
		if array {
			key = name + "[" + offset + "]"
		}
		v, err := decodeValue(text[eq+1:])
		if err != nil {
			return l, fmt.Errorf("directive %s: %w", key, err)
		}
		l.kind, l.key, l.value = lineDirective, key, v
	}
	return l, nil
}

// bytes returns the file as it would be written.
func (f *confFile) bytes() []byte {
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// sections returns the names of the sections, in order, once each.
func (f *confFile) sections() []string {
	var names []string
	seen := map[string]bool{}
	for _, l := range f.lines {
		if l.kind == lineSection && !seen[l.section] {
			seen[l.section] = true
			names = append(names, l.section)
		}
	}
	return names
}

// directives returns the effective directives of section: the last value
// of each key, as php-fpm reads them.
func (f *confFile) directives(section string) map[string]string {
	m := map[string]string{}
	for _, l := range f.lines {
		if l.kind == lineDirective && l.section == section {
			m[l.key] = l.value
		}
	}
	return m
}

// commentStart returns where a trailing ";" comment starts in the value part
// v of a directive line, or -1.
func commentStart(v string) int {
	quote := byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == '"' && c == '\\' && i+1 < len(v):
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == ';':
			return i
		}
	}
	return -1
}

// rawValue returns the value part, as written after its '=', of the last
// line of key in section.
func (f *confFile) rawValue(section, key string) (string, bool) {
	for i := len(f.lines) - 1; i >= 0; i-- {
		if l := f.lines[i]; l.kind == lineDirective && l.section == section && l.key == key {
			_, v, _ := strings.Cut(l.text, "=")
			return v, true
		}
	}
	return "", false
}

// parseConfLoose reads data for show and status even where parseConf
// stops: a line it cannot read is kept as a comment, and a header it cannot
// read as a section still opens one when it has a name, so the pools after
// it are found. err is the first line parseConf would stop at.
func parseConfLoose(data []byte) (f *confFile, err error) {
	f = &confFile{}
	section := ""
	rest := string(data)
	for n := 1; rest != ""; n++ {
		text, eol := rest, ""
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			text, eol, rest = rest[:i], "\n", rest[i+1:]
		} else {
			rest = ""
		}
		if strings.HasSuffix(text, "\r") {
			text, eol = text[:len(text)-1], "\r"+eol
		}
		l, lerr := parseLine(text, section)
		if lerr != nil {
			if err == nil {
				err = fmt.Errorf("line %d: %w", n, lerr)
			}
			l = confLine{text: text, kind: lineComment, section: section}
			t := strings.TrimSpace(text)
			if end := strings.IndexByte(t, ']'); strings.HasPrefix(t, "[") && end > 1 {
				l.kind, l.section = lineSection, strings.Trim(t[1:end], " \t\"'")
			}
		}
		if l.kind == lineSection {
			section = l.section
		}
		l.eol = eol
		f.lines = append(f.lines, l)
	}
	return f, err
}

// headers returns the line indexes of the headers of section name.
func (f *confFile) headers(name string) []int {
	var at []int
	for i, l := range f.lines {
		if l.kind == lineSection && l.section == name {
			at = append(at, i)
		}
	}
	return at
}

// alone reports whether the file holds section name and nothing else that
// php-fpm reads: no other section, no directive outside it.
func (f *confFile) alone(name string) bool {
	found := false
	for _, l := range f.lines {
		switch {
		case l.kind == lineSection && l.section != name:
			return false
		case l.kind == lineSection:
			found = true
		case l.kind == lineDirective && l.section != name:
			return false
		}
	}
	return found
}

// span returns the lines [from, to) that are pool name's own: in a file
// that holds the pool alone, the whole file; else its header, the lines up
// to the next header, and the comment lines right above its header (what
// a person writes about a pool stands there) — but not the comments right
// above the next header, nor the comments that open the file. ok is false
// unless the section occurs exactly once.
func (f *confFile) span(name string) (from, to int, ok bool) {
	at := f.headers(name)
	if len(at) != 1 {
		return 0, 0, false
	}
	if f.alone(name) {
		return 0, len(f.lines), true
	}
	h := at[0]
	from, to = h, len(f.lines)
	if f.sectionBefore(h) {
		from = h - f.lead(h)
	}
	for i := h + 1; i < len(f.lines); i++ {
		if f.lines[i].kind == lineSection {
			to = i - f.lead(i)
			break
		}
	}
	return from, to, true
}

// lead counts the comment lines right above line i, with no blank line
// between them and it.
func (f *confFile) lead(i int) int {
	n := 0
	for i-n-1 >= 0 && f.lines[i-n-1].kind == lineComment {
		n++
	}
	return n
}

// sectionBefore reports whether a section header comes before line i.
func (f *confFile) sectionBefore(i int) bool {
	for j := 0; j < i; j++ {
		if f.lines[j].kind == lineSection {
			return true
		}
	}
	return false
}

// splice returns the file with lines [from, to) replaced by repl; a
// replacement that does not end its last line gets one when lines follow.
func (f *confFile) splice(from, to int, repl []confLine) *confFile {
	repl = append([]confLine(nil), repl...)
	if n := len(repl); n > 0 && repl[n-1].eol == "" && to < len(f.lines) {
		repl[n-1].eol = "\n"
	}
	if from > 0 && f.lines[from-1].eol == "" && len(repl) > 0 {
		prev := f.lines[from-1]
		prev.eol = "\n"
		out := append(append([]confLine(nil), f.lines[:from-1]...), prev)
		return &confFile{lines: append(append(out, repl...), f.lines[to:]...)}
	}
	out := append(append([]confLine(nil), f.lines[:from]...), repl...)
	return &confFile{lines: append(out, f.lines[to:]...)}
}

// onlyComments reports whether the file holds nothing php-fpm reads.
func (f *confFile) onlyComments() bool {
	for _, l := range f.lines {
		if l.kind == lineSection || l.kind == lineDirective {
			return false
		}
	}
	return true
}
