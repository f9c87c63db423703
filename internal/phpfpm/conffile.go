package phpfpm

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
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
	keyNameRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.]+$`) })
	keyOffsetRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.\-]*$`) })
)

// parseConf reads data; an error names the line php-fpm would stop at.
func parseConf(data []byte) (*confFile, error) {
	f, err := readConf(data, false)
	if err != nil {
		return nil, err
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
		if !keyNameRE().MatchString(name) {
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
func parseConfLoose(data []byte) (*confFile, error) { return readConf(data, true) }

// readConf reads data line by line, each line with its own line break kept.
// Strict, it stops at the first line php-fpm would stop at; loose, it keeps
// going as parseConfLoose says and returns that first error with the file.
func readConf(data []byte, loose bool) (f *confFile, err error) {
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
			if !loose {
				return nil, fmt.Errorf("line %d: %w", n, lerr)
			}
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
