package supervisor

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ExpansionEnv looks up a variable of supervisord's environment for
// %(ENV_X)s: it is called with X, without the ENV_ prefix, so os.LookupEnv
// fits when poolvisor shares supervisord's environment.
type ExpansionEnv func(name string) (string, bool)

// HostChecks are the checks ValidateProgram makes against the host. A nil
// function skips its check.
type HostChecks struct {
	UserExists func(string) bool // a user name or numeric uid, as written
	DirExists  func(string) bool
	// Env, when set, lets ValidateProgram resolve and check %(ENV_X)s;
	// without it values built from ENV_ variables go unchecked.
	Env ExpansionEnv
}

// progMaxValueLen bounds one value; nothing a program needs comes near it.
const progMaxValueLen = 64 << 10

func progCheckName(name string) error {
	if ops.ValidName(name) {
		return nil
	}
	return ops.Invalidf("%q is not a valid program name: use 1 to 64 of a-z A-Z 0-9 _ . - starting with a letter or digit", name)
}

// progCheckText refuses a value that could not sit on one key=value line
// of supervisord's config and come back unchanged.
func progCheckText(key, v string, allowEmpty bool) error {
	switch {
	case len(v) > progMaxValueLen:
		return ops.Invalidf("%s is too long (%d bytes; the limit is %d)", key, len(v), progMaxValueLen)
	case !utf8.ValidString(v):
		return ops.Invalidf("%s is not valid UTF-8 text", key)
	case strings.ContainsAny(v, "\r\n"):
		return ops.Invalidf("%s may not contain a line break: supervisord would read what follows as a new line of its config", key)
	case strings.ContainsRune(v, 0):
		return ops.Invalidf("%s may not contain a NUL byte", key)
	case v == "" && !allowEmpty:
		return ops.Invalidf("%s needs a value", key)
	case progPyStrip(v) != v:
		return ops.Invalidf("%s may not start or end with spaces: supervisord strips them", key)
	}
	for i, r := range v {
		if r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return ops.Invalidf("%s may not contain control characters (found U+%04X)", key, r)
		}
		if (r == ';' || r == '#') && i > 0 {
			if prev, _ := utf8.DecodeLastRuneInString(v[:i]); progPySpace(prev) {
				return ops.Invalidf("%s may not contain %q (a space followed by %c): supervisord reads it as the start of a comment and drops the rest, and its config format has no escape for it; remove the space (for example a%c b instead of a %c b) or move the command into a script", key, v[i-utf8.RuneLen(prev):i+1], r, r, r)
			}
		}
	}
	return nil
}

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

// progCheckStored checks a stored value of key as supervisord would compute it.
func progCheckStored(key string, spec progKey, stored string, e *progEval) error {
	v, err := e.expand(key, spec, stored)
	if err != nil {
		return err
	}
	switch spec.kind {
	case pkCommand, pkDirectory, pkLogfile, pkProcessName, pkEnvironment:
	default:
		if strings.Contains(v, progUnchecked) {
			return nil
		}
		if strings.Contains(v, progUnknowable) {
			return ops.Invalidf("%s can't be checked when it uses %%(here)s, %%(group_name)s or %%(host_node_name)s; write the value itself", key)
		}
	}
	return progCheckKind(key, spec, v)
}

// ValidateProgram checks the program section as a whole, after all Sets or
// after a hand edit: every key known and well-typed, then the rules that
// span keys, then the host (users and directories that must exist).
// Values built from expansions poolvisor can't resolve for the first
// process skip the host checks.
func ValidateProgram(f *ProgramFile, checks HostChecks) error {
	if err := progCheckName(f.name); err != nil {
		return err
	}
	if f.prog == nil {
		return ops.Invalidf("the file of program %s has no [program:%s] section", f.name, f.name)
	}
	e := newProgEval(f, checks.Env, checks.Env != nil)
	vals := f.storedValues()
	var errs []string
	report := func(err error) {
		if err != nil {
			_, msg := ops.UserError(err)
			errs = append(errs, msg)
		}
	}
	computed := map[string]string{}
	for _, o := range f.prog.opts {
		if _, done := computed[o.key]; done || vals[o.key] != o.value() {
			continue // a repeated key: supervisord uses the last
		}
		_, spec, err := lookupProgKey(o.key)
		if err == nil {
			err = progCheckStoredText(o.key, vals[o.key])
		}
		if err == nil {
			err = progCheckStored(o.key, spec, vals[o.key], e)
		}
		report(err)
		computed[o.key], _ = e.expand(o.key, spec, vals[o.key])
	}
	if strings.TrimSpace(computed["command"]) == "" {
		report(ops.Invalidf("command is missing: supervisord needs a command to run"))
	}
	if e.numprocs > 1 && !strings.Contains(vals["process_name"], "%(process_num)") {
		report(ops.Invalidf("numprocs is %d, so process_name must contain %%(process_num), such as process_name=%%(program_name)s_%%(process_num)02d", e.numprocs))
	}
	if progTrue(computed["stopasgroup"]) && progFalse(computed["killasgroup"]) {
		report(ops.Invalidf("stopasgroup=true needs killasgroup=true as well (supervisord refuses killasgroup=false with it)"))
	}
	if u := computed["user"]; progResolved(u) && checks.UserExists != nil && !checks.UserExists(u) {
		report(ops.Invalidf("user %s does not exist on this host", u))
	}
	if d := computed["directory"]; progResolved(d) && checks.DirExists != nil && !checks.DirExists(d) {
		report(ops.Invalidf("directory %s does not exist on this host", d))
	}
	for _, k := range []string{"stdout_logfile", "stderr_logfile"} {
		p := computed[k]
		if !progResolved(p) || !strings.HasPrefix(p, "/") || checks.DirExists == nil {
			continue
		}
		if dir := filepath.Dir(p); !checks.DirExists(dir) {
			report(ops.Invalidf("%s: the directory %s does not exist on this host", k, dir))
		}
	}
	if len(errs) > 0 {
		return ops.Invalidf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// progCheckStoredText refuses what a hand-edited file may hold but no program
// should: NUL and control characters (line breaks of multi-line values and
// tabs are fine).
func progCheckStoredText(key, v string) error {
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return ops.Invalidf("%s may not contain control characters (found U+%04X)", key, r)
		}
	}
	return nil
}

func progResolved(v string) bool {
	return v != "" && !strings.Contains(v, progUnknowable) && !strings.Contains(v, progUnchecked)
}

func progTrue(v string) bool  { return slices.Contains(progTruthy, strings.ToLower(v)) }
func progFalse(v string) bool { return slices.Contains(progFalsy, strings.ToLower(v)) }

// DefaultProgram returns the file of a new program: command first, then
// autostart, autorestart and redirect_stderr set to true and the log in
// logDir. With numprocs > 1 it names the processes and their logs by
// process number, so no two processes share a log.
func DefaultProgram(name, command, logDir string, numprocs int, env ExpansionEnv) (*ProgramFile, error) {
	if err := progCheckName(name); err != nil {
		return nil, err
	}
	if numprocs < 1 || numprocs > progMaxNumprocs {
		return nil, ops.Invalidf("numprocs must be a whole number from 1 to %d, not %d", progMaxNumprocs, numprocs)
	}
	f := NewProgramFile(name)
	log := filepath.Join(logDir, name+".log")
	sets := [][2]string{{"command", command}}
	if numprocs > 1 {
		log = filepath.Join(logDir, name+"_%(process_num)02d.log")
		sets = append(sets,
			[2]string{"process_name", "%(program_name)s_%(process_num)02d"},
			[2]string{"numprocs", strconv.Itoa(numprocs)})
	}
	sets = append(sets, [2]string{"autostart", "true"}, [2]string{"autorestart", "true"},
		[2]string{"redirect_stderr", "true"}, [2]string{"stdout_logfile", log})
	for _, progKV := range sets {
		if err := f.Set(progKV[0], progKV[1], env); err != nil {
			return nil, err
		}
	}
	return f, nil
}
