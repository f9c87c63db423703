package hostscan

import (
	"fmt"
	"strings"
)

// The two daemons read two ini dialects. This reader knows just enough of
// each to find sections and the few keys detection needs; internal/supervisor
// and internal/phpfpm hold the exact models used for editing.
//
// supervisord (Python's configparser as supervisord sets it up): keys are
// "key = value" or "key: value", lower-cased; a line whose first non-blank
// character is ';' or '#' is a comment, and so is the rest of a line from a
// ';' or '#' that follows a blank; an indented line continues the value
// above it. Sections of the same name merge.
//
// php-fpm (PHP's ini scanner): "key = value"; ';' starts a comment anywhere
// outside quotes; double or single quotes around a value are removed; a key
// before any section belongs to [global].
type dialect int

const (
	pythonINI dialect = iota
	phpINI
)

// entry is one key and its value, in file order.
type entry struct {
	key, value string
	line       int
}

// section is one [name] of a file, with its entries in order.
type section struct {
	name    string
	entries []entry
}

// get returns the last value of key in s.
func (s *section) get(key string) (string, bool) {
	for i := len(s.entries) - 1; i >= 0; i-- {
		if s.entries[i].key == key {
			return s.entries[i].value, true
		}
	}
	return "", false
}

// iniFile is a parsed file: its sections in the order they first appear.
type iniFile struct {
	sections []*section
}

// section returns the section called name, or nil.
func (f *iniFile) section(name string) *section {
	for _, s := range f.sections {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (f *iniFile) open(name string) *section {
	if s := f.section(name); s != nil {
		return s
	}
	s := &section{name: name}
	f.sections = append(f.sections, s)
	return s
}

// parseINI reads text in dialect d. It stops at the first line it cannot
// read, with an error that gives the line number.
func parseINI(text string, d dialect) (*iniFile, error) {
	f := &iniFile{}
	var cur *section
	if d == phpINI {
		cur = f.open("global")
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		n := i + 1
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" {
			continue
		}
		if d == pythonINI {
			if trimmed[0] == ';' || trimmed[0] == '#' {
				continue
			}
			indented := raw[0] == ' ' || raw[0] == '\t'
			if indented && cur != nil && len(cur.entries) > 0 {
				last := &cur.entries[len(cur.entries)-1]
				last.value = strings.TrimSpace(last.value + "\n" + pyStripComment(trimmed))
				continue
			}
			trimmed = pyStripComment(trimmed)
		} else {
			if trimmed[0] == ';' {
				continue
			}
		}
		if trimmed[0] == '[' {
			end := strings.IndexByte(trimmed, ']')
			if end < 0 {
				return nil, fmt.Errorf("line %d: section header without ']'", n)
			}
			rest := strings.TrimSpace(trimmed[end+1:])
			if rest != "" && rest[0] != ';' {
				return nil, fmt.Errorf("line %d: text after the section header", n)
			}
			cur = f.open(strings.TrimSpace(trimmed[1:end]))
			continue
		}
		key, value, ok := splitEntry(trimmed, d)
		if !ok {
			return nil, fmt.Errorf("line %d: neither a section nor key = value", n)
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: %q comes before any [section]", n, key)
		}
		cur.entries = append(cur.entries, entry{key: key, value: value, line: n})
	}
	return f, nil
}

// splitEntry splits "key = value" in dialect d.
func splitEntry(line string, d dialect) (key, value string, ok bool) {
	i := strings.IndexByte(line, '=')
	if d == pythonINI {
		if j := strings.IndexByte(line, ':'); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i <= 0 {
		return "", "", false
	}
	key = strings.TrimSpace(line[:i])
	value = strings.TrimSpace(line[i+1:])
	if d == pythonINI {
		return strings.ToLower(key), value, key != ""
	}
	return key, phpValue(value), key != ""
}

// pyStripComment cuts an inline ';' or '#' comment that follows a blank.
func pyStripComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == ';' || s[i] == '#') && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// phpValue decodes a php-fpm value as written: quotes removed (with \" and
// \\ inside double quotes), an unquoted ';' ending it.
func phpValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ';':
			return strings.TrimSpace(b.String())
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\' || s[i+1] == '$') {
					i++
				}
				b.WriteByte(s[i])
			}
		case '\'':
			for i++; i < len(s) && s[i] != '\''; i++ {
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// expandPython expands supervisord's %(here)s and %(host_node_name)s and
// turns %% into %. An %(ENV_NAME)s or any other name makes ok false: its
// value depends on the environment supervisord runs in.
func expandPython(s, here, node string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if strings.HasPrefix(s[i:], "%%") {
			b.WriteByte('%')
			i++
			continue
		}
		end := strings.Index(s[i:], ")s")
		if !strings.HasPrefix(s[i:], "%(") || end < 0 {
			return s, false
		}
		switch s[i+2 : i+end] {
		case "here":
			b.WriteString(here)
		case "host_node_name":
			b.WriteString(node)
		default:
			return s, false
		}
		i += end + 1
	}
	return b.String(), true
}
