package supervisor

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/catalog"
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
	return ops.InvalidField(catalog.Target, "%q is not a valid program name: use 1 to 64 of a-z A-Z 0-9 _ . - starting with a letter or digit", name)
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
	field := "" // the flag of the first problem, for a form to show it on
	report := func(key string, err error) {
		if err != nil {
			_, msg := ops.UserError(err)
			errs = append(errs, msg)
			if field == "" {
				field = keyField(key)
			}
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
		report(o.key, err)
		computed[o.key], _ = e.expand(o.key, spec, vals[o.key])
	}
	if strings.TrimSpace(computed["command"]) == "" {
		report("command", ops.Invalidf("command is missing: supervisord needs a command to run"))
	}
	if e.numprocs > 1 && !strings.Contains(vals["process_name"], "%(process_num)") {
		report("numprocs", ops.Invalidf("numprocs is %d, so process_name must contain %%(process_num), such as process_name=%%(program_name)s_%%(process_num)02d", e.numprocs))
	}
	if progTrue(computed["stopasgroup"]) && progFalse(computed["killasgroup"]) {
		report("stopasgroup", ops.Invalidf("stopasgroup=true needs killasgroup=true as well (supervisord refuses killasgroup=false with it)"))
	}
	if u := computed["user"]; progResolved(u) && checks.UserExists != nil && !checks.UserExists(u) {
		report("user", ops.Invalidf("user %s does not exist on this host", u))
	}
	if d := computed["directory"]; progResolved(d) && checks.DirExists != nil && !checks.DirExists(d) {
		report("directory", ops.Invalidf("directory %s does not exist on this host", d))
	}
	for _, k := range []string{"stdout_logfile", "stderr_logfile"} {
		p := computed[k]
		if !progResolved(p) || !strings.HasPrefix(p, "/") || checks.DirExists == nil {
			continue
		}
		if dir := filepath.Dir(p); !checks.DirExists(dir) {
			report(k, ops.Invalidf("%s: the directory %s does not exist on this host", k, dir))
		}
	}
	if len(errs) > 0 {
		return ops.InvalidField(field, "%s", strings.Join(errs, "; "))
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
