package supervisor

import (
	"github.com/poolvisor/poolvisor/internal/suggest"
	"sort"
	"strings"

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
