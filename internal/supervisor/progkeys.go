package supervisor

import (
	"errors"
	"fmt"
	"github.com/poolvisor/poolvisor/internal/suggest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// progKind is the type of a [program:x] value, named for the function of
// supervisor/datatypes.py (4.2.5) that reads it.
type progKind int

const (
	pkCommand     progKind = iota // any text, split by shlex at spawn
	pkBool                        // datatypes.boolean
	pkAutorestart                 // datatypes.auto_restart
	pkInt                         // datatypes.integer, with poolvisor's bounds
	pkBytes                       // datatypes.byte_size
	pkSignal                      // datatypes.signal_number
	pkExitcodes                   // datatypes.list_of_exitcodes
	pkUmask                       // datatypes.octal_type
	pkEnvironment                 // datatypes.dict_of_key_value_pairs
	pkUser                        // datatypes.name_to_uid
	pkDirectory                   // a directory to chdir to
	pkLogfile                     // datatypes.logfile_name
	pkProcessName                 // datatypes.process_or_group_name
	pkServerURL                   // AUTO or a URL
)

// progScope says which %(name)s expansions supervisord offers while reading
// a key: options.py reads keys at different points of
// process_groups_from_parser and _processes_from_section, each with a
// different expansion dictionary.
type progScope int

const (
	progScopeGroup      progScope = iota // here, ENV_* (priority, read for the group first)
	progScopeSection                     // + program_name, group_name, host_node_name
	progScopeProcess                     // + process_num, numprocs (environment)
	progScopeProcessEnv                  // + ENV_* of the program's own environment
)

// progKey describes one key supervisord reads in a [program:x] section.
type progKey struct {
	kind     progKind
	scope    progScope
	min, max int64 // pkInt bounds
	// passes is how often supervisord %-expands the value: the log file
	// names are expanded by saneget and then once more by expand().
	passes int
}

const progMaxInt = int64(1<<63 - 1)

func newProgKey(kind progKind, scope progScope) progKey {
	return progKey{kind: kind, scope: scope, passes: 1}
}

func newProgIntKey(scope progScope, min, max int64) progKey {
	return progKey{kind: pkInt, scope: scope, min: min, max: max, passes: 1}
}

// progMaxNumprocs bounds numprocs: supervisord takes any number, but a typo of
// 10000 for 10 would fork ten thousand workers.
const progMaxNumprocs = 1000

// progKeys are the keys of a [program:x] section, from
// ServerOptions._processes_from_section in supervisor 4.2.5. supervisord
// silently ignores any other key, so poolvisor refuses them.
var progKeys = map[string]progKey{
	"command":                 newProgKey(pkCommand, progScopeProcessEnv),
	"process_name":            newProgKey(pkProcessName, progScopeProcessEnv),
	"numprocs":                newProgIntKey(progScopeSection, 1, progMaxNumprocs),
	"numprocs_start":          newProgIntKey(progScopeSection, 0, 1<<31-1),
	"priority":                newProgIntKey(progScopeGroup, -1<<31, 1<<31-1),
	"autostart":               newProgKey(pkBool, progScopeSection),
	"startsecs":               newProgIntKey(progScopeSection, 0, progMaxInt),
	"startretries":            newProgIntKey(progScopeSection, 0, progMaxInt),
	"autorestart":             newProgKey(pkAutorestart, progScopeSection),
	"exitcodes":               newProgKey(pkExitcodes, progScopeSection),
	"stopsignal":              newProgKey(pkSignal, progScopeSection),
	"stopwaitsecs":            newProgIntKey(progScopeSection, 0, progMaxInt),
	"stopasgroup":             newProgKey(pkBool, progScopeSection),
	"killasgroup":             newProgKey(pkBool, progScopeSection),
	"user":                    newProgKey(pkUser, progScopeSection),
	"redirect_stderr":         newProgKey(pkBool, progScopeSection),
	"stdout_logfile":          {kind: pkLogfile, scope: progScopeProcessEnv, passes: 2},
	"stdout_logfile_maxbytes": newProgKey(pkBytes, progScopeProcessEnv),
	"stdout_logfile_backups":  newProgIntKey(progScopeProcessEnv, 0, progMaxInt),
	"stdout_capture_maxbytes": newProgKey(pkBytes, progScopeSection),
	"stdout_events_enabled":   newProgKey(pkBool, progScopeSection),
	"stdout_syslog":           newProgKey(pkBool, progScopeProcessEnv),
	"stderr_logfile":          {kind: pkLogfile, scope: progScopeProcessEnv, passes: 2},
	"stderr_logfile_maxbytes": newProgKey(pkBytes, progScopeProcessEnv),
	"stderr_logfile_backups":  newProgIntKey(progScopeProcessEnv, 0, progMaxInt),
	"stderr_capture_maxbytes": newProgKey(pkBytes, progScopeSection),
	"stderr_events_enabled":   newProgKey(pkBool, progScopeSection),
	"stderr_syslog":           newProgKey(pkBool, progScopeProcessEnv),
	"environment":             newProgKey(pkEnvironment, progScopeProcess),
	"directory":               newProgKey(pkDirectory, progScopeProcessEnv),
	"umask":                   newProgKey(pkUmask, progScopeSection),
	"serverurl":               newProgKey(pkServerURL, progScopeSection),
}

// progKeyAliases are names people reach for when they mean a supervisord key.
var progKeyAliases = map[string]string{
	"cmd": "command", "exec": "command", "cwd": "directory", "dir": "directory",
	"workdir": "directory", "working_directory": "directory", "env": "environment",
	"log": "stdout_logfile", "logfile": "stdout_logfile", "stdout": "stdout_logfile",
	"stderr": "stderr_logfile", "procs": "numprocs", "processes": "numprocs",
	"restart": "autorestart", "name": "process_name", "signal": "stopsignal",
	"uid": "user", "username": "user", "runas": "user", "run_as": "user",
}

// lookupProgKey returns the canonical (lower-case) form of key, or a
// user-facing error naming the closest key supervisord knows.
func lookupProgKey(key string) (string, progKey, error) {
	k := strings.ToLower(key)
	if spec, ok := progKeys[k]; ok && progASCII(key) {
		return k, spec, nil
	}
	if s := suggestProgKey(k); s != "" {
		return "", progKey{}, ops.Invalidf("supervisord has no key %q in a [program] section (did you mean %q?)", key, s)
	}
	return "", progKey{}, ops.Invalidf("supervisord has no key %q in a [program] section; it knows %s", key, strings.Join(progKeyNames(), ", "))
}

func progKeyNames() []string {
	names := make([]string, 0, len(progKeys))
	for k := range progKeys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func suggestProgKey(k string) string {
	if a, ok := progKeyAliases[strings.ReplaceAll(k, "-", "_")]; ok {
		return a
	}
	return suggest.Closest(k, progKeyNames())
}

func progASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// progParseInt reads what Python's int() reads, limited to an optional sign and
// ASCII digits (int() also takes "1_000" and other scripts' digits).
func progParseInt(s string) (int64, bool) {
	digits := strings.TrimLeft(s, "+-")
	if digits == "" || len(s)-len(digits) > 1 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

var (
	progTruthy = []string{"true", "yes", "on", "1"}
	progFalsy  = []string{"false", "no", "off", "0"}
)

func progCheckBool(key, v string) error {
	l := strings.ToLower(v)
	if progASCII(v) && (slices.Contains(progTruthy, l) || slices.Contains(progFalsy, l)) {
		return nil
	}
	return ops.Invalidf("%s must be true or false (yes/no, on/off and 1/0 work too), not %q", key, v)
}

// progSignals are the signals of Linux that Python's signal module names;
// signal_number also takes "_DFL" and 0 (SIG_DFL), which would never stop
// anything, so poolvisor leaves those out.
var progSignals = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7,
	"FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14,
	"TERM": 15, "STKFLT": 16, "CHLD": 17, "CLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20,
	"TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27,
	"WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31, "RTMIN": 34, "RTMAX": 64,
}

func progCheckSignal(key, v string) error {
	if n, ok := progParseInt(v); ok {
		for _, num := range progSignals {
			if int64(num) == n {
				return nil
			}
		}
	} else if progASCII(v) {
		name := strings.TrimPrefix(strings.ToUpper(v), "SIG")
		if _, ok := progSignals[name]; ok {
			return nil
		}
	}
	return ops.Invalidf("%s must be a signal name such as TERM, INT, QUIT, HUP, KILL, USR1 or USR2 (or its number), not %q", key, v)
}

func progCheckBytes(key, v string) error {
	l := strings.ToLower(v)
	if !progASCII(v) {
		l = ""
	}
	num := l
	for _, suf := range []string{"kb", "mb", "gb"} {
		if strings.HasSuffix(l, suf) {
			num = strings.TrimSuffix(l, suf)
			break
		}
	}
	if _, ok := progParseInt(num); ok && strings.Trim(num, "0123456789") == "" {
		return nil
	}
	return ops.Invalidf("%s must be a size in bytes such as 1024, 500KB, 50MB or 1GB (0 for none), not %q", key, v)
}

func progCheckInt(key string, spec progKey, v string) error {
	n, ok := progParseInt(v)
	if ok && n >= spec.min && n <= spec.max {
		return nil
	}
	switch {
	case spec.max == progMaxInt:
		return ops.Invalidf("%s must be a whole number from %d up, not %q", key, spec.min, v)
	default:
		return ops.Invalidf("%s must be a whole number from %d to %d, not %q", key, spec.min, spec.max, v)
	}
}

func progCheckExitcodes(key, v string) error {
	for _, part := range strings.Split(v, ",") {
		n, ok := progParseInt(strings.Trim(part, " \t\n"))
		if !ok || n < 0 || n > 255 {
			return ops.Invalidf("%s must be exit codes from 0 to 255 separated by commas, such as 0 or 0,2, not %q", key, v)
		}
	}
	return nil
}

func progCheckUmask(key, v string) error {
	n, err := strconv.ParseUint(v, 8, 32)
	if err == nil && len(v) <= 4 && n <= 0o777 {
		return nil
	}
	return ops.Invalidf("%s must be an octal file mode mask such as 022 or 002, not %q", key, v)
}

func progCheckAutorestart(key, v string) error {
	l := strings.ToLower(v)
	if progASCII(v) && (slices.Contains(progTruthy, l) || slices.Contains(progFalsy, l) || l == "unexpected") {
		return nil
	}
	return ops.Invalidf("%s must be true, false or unexpected, not %q", key, v)
}

// progCheckCommand refuses a command that supervisord would load but could not
// start: shlex.split (POSIX mode, as process.py uses it) fails on an open
// quote or a trailing backslash.
func progCheckCommand(key, v string) error {
	if strings.TrimSpace(v) == "" {
		return ops.Invalidf("%s needs a program to run", key)
	}
	quote := byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			if i+1 == len(v) {
				return ops.Invalidf("%s ends with a backslash, which supervisord cannot split into arguments", key)
			}
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		}
	}
	if quote != 0 {
		return ops.Invalidf("%s has an unclosed %c quote, so supervisord could not split it into arguments", key, quote)
	}
	return nil
}

func progCheckUser(key, v string) error {
	ok := len(v) <= 32 && v != ""
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '-' || c == '$' && i == len(v)-1)
	}
	if ok {
		return nil
	}
	return ops.Invalidf("%s must be a user name or id such as www-data, not %q", key, v)
}

func progCheckLogfile(key, v string) error {
	switch strings.ToLower(v) {
	case "auto", "none", "off", "syslog":
		return nil
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, progUnknowable) || strings.HasPrefix(v, progUnchecked) {
		return nil
	}
	return ops.Invalidf("%s must be an absolute path such as /var/log/app.log, or AUTO, NONE or syslog, not %q", key, v)
}

func progCheckDirectory(key, v string) error {
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, progUnknowable) || strings.HasPrefix(v, progUnchecked) {
		return nil
	}
	return ops.Invalidf("%s must be an absolute path such as /var/www/app, not %q", key, v)
}

func progCheckProcessName(key, v string) error {
	s := progPyStrip(v)
	if s == "" {
		return ops.Invalidf("%s needs a value such as %%(program_name)s_%%(process_num)02d", key)
	}
	if i := strings.IndexAny(s, " :/"); i >= 0 {
		return ops.Invalidf("%s may not contain %q (supervisord refuses spaces, colons and slashes in process names): %q", key, s[i:i+1], v)
	}
	return nil
}

func progCheckServerURL(key, v string) error {
	if strings.EqualFold(v, "auto") {
		return nil
	}
	for _, p := range []string{"http://", "https://", "unix://"} {
		if strings.HasPrefix(strings.ToLower(v), p) && len(v) > len(p) {
			return nil
		}
	}
	return ops.Invalidf("%s must be AUTO or a URL such as unix:///var/run/supervisor.sock or http://127.0.0.1:9001, not %q", key, v)
}

// progCheckKind checks v, the value of key as supervisord computes it for one
// process, against the key's type.
func progCheckKind(key string, spec progKey, v string) error {
	switch spec.kind {
	case pkCommand:
		return progCheckCommand(key, v)
	case pkBool:
		return progCheckBool(key, v)
	case pkAutorestart:
		return progCheckAutorestart(key, v)
	case pkInt:
		return progCheckInt(key, spec, v)
	case pkBytes:
		return progCheckBytes(key, v)
	case pkSignal:
		return progCheckSignal(key, v)
	case pkExitcodes:
		return progCheckExitcodes(key, v)
	case pkUmask:
		return progCheckUmask(key, v)
	case pkEnvironment:
		_, err := progParseEnvironment(key, v)
		return err
	case pkUser:
		return progCheckUser(key, v)
	case pkDirectory:
		return progCheckDirectory(key, v)
	case pkLogfile:
		return progCheckLogfile(key, v)
	case pkProcessName:
		return progCheckProcessName(key, v)
	case pkServerURL:
		return progCheckServerURL(key, v)
	}
	return fmt.Errorf("unknown kind %d", spec.kind)
}

// progEnvWordChars are shlex's word characters plus the ones supervisor adds
// in dict_of_key_value_pairs; the placeholders stand for unknown text.
const progEnvWordChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/.+-():" + progUnknowable + progUnchecked

// progEnvTokens splits s as Python's shlex.shlex(s) does in its default,
// non-POSIX mode: words, quoted strings kept with their quotes, any other
// character alone. It reports a '#' outside quotes, which shlex reads as
// a comment to the end of the line.
func progEnvTokens(s string) (tokens []string, comment bool, err error) {
	const eof = -1
	state := ' '
	var tok strings.Builder
	pos := 0
	read := func() rune {
		if pos >= len(s) {
			return eof
		}
		r, n := utf8.DecodeRuneInString(s[pos:])
		pos += n
		return r
	}
	skipLine := func() {
		comment = true
		if i := strings.IndexByte(s[pos:], '\n'); i >= 0 {
			pos += i + 1
		} else {
			pos = len(s)
		}
	}
	isWord := func(r rune) bool { return r >= 0 && r < 0x80 && strings.ContainsRune(progEnvWordChars, r) }
	isSpace := func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }
	emit := func() {
		tokens = append(tokens, tok.String())
		tok.Reset()
	}
	for state != 0 {
		r := read()
		switch {
		case state == ' ':
			switch {
			case r == eof:
				state = 0
			case isSpace(r):
			case r == '#':
				skipLine()
			case isWord(r):
				tok.WriteRune(r)
				state = 'a'
			case r == '\'' || r == '"':
				tok.WriteRune(r)
				state = r
			default:
				tok.WriteRune(r)
				emit()
			}
		case state == '\'' || state == '"':
			if r == eof {
				return nil, comment, errors.New("unclosed quote")
			}
			tok.WriteRune(r)
			if r == state {
				emit()
				state = ' '
			}
		default: // in a word
			switch {
			case r == eof:
				emit()
				state = 0
			case isSpace(r):
				emit()
				state = ' '
			case r == '#':
				skipLine()
			case isWord(r) || r == '\'' || r == '"':
				tok.WriteRune(r)
			default:
				emit()
				tokens = append(tokens, string(r))
				state = ' '
			}
		}
	}
	return tokens, comment, nil
}

// progParseEnvironment reads KEY=val,KEY2="val 2" as dict_of_key_value_pairs
// does, and refuses what it refuses. It is stricter in three ways: keys are
// variable names, pairs are separated by commas (supervisord skips any one
// token there), and no '#' outside quotes (supervisord would drop the rest).
func progParseEnvironment(key, v string) (map[string]string, error) {
	const usage = "KEY=value pairs separated by commas, such as APP_ENV=production,QUEUES=\"high,low\" (quote values with spaces, commas, # or characters other than letters, digits and _ / . + - ( ) :)"
	tokens, comment, err := progEnvTokens(v)
	if err != nil {
		return nil, ops.Invalidf("%s has an unclosed quote; it must be %s", key, usage)
	}
	if comment {
		return nil, ops.Invalidf("%s has a # outside quotes, where supervisord starts a comment and drops the rest; it must be %s", key, usage)
	}
	env := map[string]string{}
	for i := 0; i < len(tokens); i += 4 {
		if i+3 > len(tokens) || tokens[i+1] != "=" || !progEnvName(tokens[i]) ||
			i+3 < len(tokens) && tokens[i+3] != "," {
			after := ""
			if i > 0 {
				after = " after " + tokens[i-4] + "="
			}
			return nil, ops.Invalidf("%s must be %s; supervisord can't read it%s", key, usage, after)
		}
		env[tokens[i]] = strings.Trim(tokens[i+2], "'\"")
	}
	return env, nil
}

func progEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
