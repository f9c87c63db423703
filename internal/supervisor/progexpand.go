package supervisor

// This file handles %(name)s expansions the way supervisord computes them:
// escaping for storage, and evaluation for one process to check the result.

import (
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// progExpansion is one %(name)<flag><width><conversion> in a value; poolvisor
// accepts a subset of Python's %-format that formats the same in Go.
type progExpansion struct {
	n     int // length in bytes
	name  string
	flag  string // "", "-" or "0"
	width string
	conv  byte
}

// progExpansionAt parses the expansion that starts at s[i], which is '%'.
func progExpansionAt(s string, i int) (progExpansion, bool) {
	x := progExpansion{}
	j := i + 1
	if j >= len(s) || s[j] != '(' {
		return x, false
	}
	k := j + 1
	for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || k > j+1 && s[k] >= '0' && s[k] <= '9') {
		k++
	}
	x.name = s[j+1 : k]
	if x.name == "" || k >= len(s) || s[k] != ')' {
		return x, false
	}
	k++
	if k < len(s) && (s[k] == '-' || s[k] == '0') {
		x.flag = s[k : k+1]
		k++
	}
	w := k
	for k < len(s) && k < w+2 && s[k] >= '0' && s[k] <= '9' && (k > w || s[k] != '0') {
		k++
	}
	x.width = s[w:k]
	if k >= len(s) || !strings.ContainsRune("sdiuxXo", rune(s[k])) {
		return x, false
	}
	x.conv = s[k]
	x.n = k + 1 - i
	return x, true
}

// progEscape turns a value as the user means it into the stored form: a
// lone '%' becomes '%%' ('%%%%' where supervisord expands twice); a
// well-formed %(name)s stays an expansion. A '%(' that is not well-formed is
// refused rather than escaped: it is far more likely a mistyped expansion
// than a literal, and a silent literal would hide the typo.
func progEscape(key string, spec progKey, v string) (string, error) {
	lit := strings.Repeat("%", 1<<spec.passes)
	var b strings.Builder
	for i := 0; i < len(v); {
		if v[i] != '%' {
			b.WriteByte(v[i])
			i++
			continue
		}
		if i+1 < len(v) && v[i+1] == '(' {
			x, ok := progExpansionAt(v, i)
			if !ok {
				frag := v[i:min(len(v), i+24)]
				return "", ops.Invalidf("%s: %q is not an expansion supervisord understands: write %%(name)s, such as %%(program_name)s or %%(process_num)02d (a literal \"%%(\" cannot be written through poolvisor)", key, frag)
			}
			b.WriteString(v[i : i+x.n])
			i += x.n
			continue
		}
		b.WriteString(lit)
		i++
	}
	return b.String(), nil
}

// progUnescape turns a stored value into the form the user means; it
// undoes progEscape.
func progUnescape(passes int, s string) string {
	for range passes {
		var b strings.Builder
		for i := 0; i < len(s); {
			if s[i] == '%' && i+1 < len(s) && s[i+1] == '%' {
				b.WriteByte('%')
				i += 2
				continue
			}
			if s[i] == '%' {
				if x, ok := progExpansionAt(s, i); ok {
					b.WriteString(s[i : i+x.n])
					i += x.n
					continue
				}
			}
			b.WriteByte(s[i])
			i++
		}
		s = b.String()
	}
	return s
}

// Placeholders for expansions whose value poolvisor can't know: here and
// host_node_name (unknowable), or ENV_ variables when no environment was
// given (unchecked). Stored values never hold control characters.
const (
	progUnknowable = "\x00"
	progUnchecked  = "\x01"
)

// progEval computes values the way supervisord does for the first process.
type progEval struct {
	program    string
	env        ExpansionEnv
	envKnown   bool // false: ENV_ names resolve to progUnchecked
	progEnv    map[string]string
	processNum int64
	numprocs   int64
}

func newProgEval(f *ProgramFile, env ExpansionEnv, envKnown bool) *progEval {
	e := &progEval{program: f.name, env: env, envKnown: envKnown, numprocs: 1}
	vals := f.storedValues()
	num := func(key string, def int64) int64 {
		if s, err := e.expand(key, progKeys[key], vals[key]); err == nil {
			if n, ok := progParseInt(s); ok {
				return n
			}
		}
		return def
	}
	if _, ok := vals["numprocs"]; ok {
		e.numprocs = num("numprocs", 1)
	}
	if _, ok := vals["numprocs_start"]; ok {
		e.processNum = num("numprocs_start", 0)
	}
	if v, ok := vals["environment"]; ok {
		if s, err := e.expand("environment", progKeys["environment"], v); err == nil {
			e.progEnv, _ = progParseEnvironment("environment", s)
		}
	}
	return e
}

const progKnownExpansions = "%(program_name)s, %(process_num)d, %(numprocs)d, %(group_name)s, %(host_node_name)s, %(here)s and %(ENV_<variable>)s"

// lookup resolves one expansion name in key's scope.
func (e *progEval) lookup(key string, spec progKey, name string) (s string, n int64, isInt bool, err error) {
	need := progScopeSection
	switch name {
	case "here":
		return progUnknowable, 0, false, nil
	case "program_name":
		s = e.program
	case "group_name", "host_node_name":
		s = progUnknowable
	case "process_num", "numprocs":
		need, n, isInt = progScopeProcess, e.processNum, true
		if name == "numprocs" {
			n = e.numprocs
		}
	default:
		v, ok := strings.CutPrefix(name, "ENV_")
		if !ok || v == "" {
			return "", 0, false, ops.Invalidf("%s: supervisord has no %%(%s)s to expand; it knows %s", key, name, progKnownExpansions)
		}
		if val, ok := e.progEnv[v]; ok && spec.scope >= progScopeProcessEnv {
			return val, 0, false, nil
		}
		if !e.envKnown {
			return progUnchecked, 0, false, nil
		}
		if e.env != nil {
			if val, ok := e.env(v); ok {
				return val, 0, false, nil
			}
		}
		where := "supervisord's environment"
		if spec.scope >= progScopeProcessEnv {
			where += " or this program's environment key"
		}
		return "", 0, false, ops.Invalidf("%s: %%(%s)s names the variable %s, which is not set in %s", key, name, v, where)
	}
	if spec.scope < need {
		avail := "%(here)s and %(ENV_<variable>)s"
		if spec.scope == progScopeSection {
			avail = "%(program_name)s, %(group_name)s, %(host_node_name)s, %(here)s and %(ENV_<variable>)s"
		}
		return "", 0, false, ops.Invalidf("%s: supervisord can't expand %%(%s) in %s; there it knows only %s", key, name, key, avail)
	}
	return s, n, isInt, nil
}

// expand computes a stored value the way supervisord does: Python's
// `value % expansions`, once, or twice for log file names.
func (e *progEval) expand(key string, spec progKey, s string) (string, error) {
	for pass := 1; pass <= spec.passes; pass++ {
		var b strings.Builder
		for i := 0; i < len(s); {
			if s[i] != '%' {
				b.WriteByte(s[i])
				i++
				continue
			}
			if i+1 < len(s) && s[i+1] == '%' {
				b.WriteByte('%')
				i += 2
				continue
			}
			x, ok := progExpansionAt(s, i)
			if !ok {
				frag := s[i:min(len(s), i+24)]
				if pass == 2 {
					return "", ops.Invalidf("%s: supervisord expands log file names twice, and after the first expansion %q is left, which it can't expand (a variable's value may not contain %%)", key, frag)
				}
				return "", ops.Invalidf("%s: supervisord can't expand %q; write %%%% for a percent sign or %%(name)s for an expansion", key, frag)
			}
			val, n, isInt, err := e.lookup(key, spec, x.name)
			if err != nil {
				return "", err
			}
			switch {
			case isInt:
				verb := map[byte]string{'s': "d", 'd': "d", 'i': "d", 'u': "d", 'x': "x", 'X': "X", 'o': "o"}[x.conv]
				val = fmt.Sprintf("%"+x.flag+x.width+verb, n)
			case x.conv != 's' || x.flag == "0":
				return "", ops.Invalidf("%s: %%(%s) is text, so write it as %%(%s)s", key, x.name, x.name)
			case val != progUnknowable && val != progUnchecked:
				val = fmt.Sprintf("%"+x.flag+x.width+"s", val)
			}
			b.WriteString(val)
			i += x.n
		}
		s = b.String()
	}
	return s, nil
}
