package sandbox

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Program is one [program:x] section of a sandboxed supervisord.
//
// Values are written verbatim, so supervisord expands %(name)s in them and a
// literal percent sign must be written as %%.
type Program struct {
	Name    string // program name, also the file name conf.d/<Name>.conf
	Command string
	// NumProcs of 0 or 1 runs a single process; more sets
	// process_name=%(program_name)s_%(process_num)02d.
	NumProcs int
	// Autostart nil means true.
	Autostart *bool
	// StartSecs 0 means 1; set Extra["startsecs"] = "0" for a real zero.
	StartSecs int
	// Extra holds any other program keys; they override the defaults above
	// and the sandbox's own (stdout_logfile, redirect_stderr=true,
	// stopasgroup=true, killasgroup=true).
	Extra map[string]string
}

var programName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// validate checks what would otherwise break the config file.
func (p Program) validate() error {
	if !programName.MatchString(p.Name) {
		return fmt.Errorf("program name %q: use letters, digits, '_', '.' and '-'", p.Name)
	}
	if strings.TrimSpace(p.Command) == "" {
		return fmt.Errorf("program %s: command is empty", p.Name)
	}
	if p.NumProcs < 0 || p.StartSecs < 0 {
		return fmt.Errorf("program %s: numprocs and startsecs must not be negative", p.Name)
	}
	for k, v := range p.Extra {
		if k == "" || strings.ContainsAny(k, "=:\n\r[]") || strings.ContainsAny(v, "\n\r") {
			return fmt.Errorf("program %s: invalid extra key %q or value %q", p.Name, k, v)
		}
	}
	if strings.ContainsAny(p.Command, "\n\r") {
		return fmt.Errorf("program %s: command must be a single line", p.Name)
	}
	return nil
}

// render returns the program's config file for a daemon logging to logDir.
func (p Program) render(logDir string) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	autostart := p.Autostart == nil || *p.Autostart
	startSecs := p.StartSecs
	if startSecs == 0 {
		startSecs = 1
	}
	keys := map[string]string{
		"command":         p.Command,
		"autostart":       strconv.FormatBool(autostart),
		"startsecs":       strconv.Itoa(startSecs),
		"stdout_logfile":  filepath.Join(logDir, p.Name+".log"),
		"redirect_stderr": "true",
		// A shell loop's children (sleep) would outlive a stop otherwise.
		"stopasgroup": "true",
		"killasgroup": "true",
	}
	if p.NumProcs > 1 {
		keys["numprocs"] = strconv.Itoa(p.NumProcs)
		keys["process_name"] = "%(program_name)s_%(process_num)02d"
		keys["stdout_logfile"] = filepath.Join(logDir, p.Name+"_%(process_num)02d.log")
	}
	maps.Copy(keys, p.Extra)

	var b strings.Builder
	fmt.Fprintf(&b, "[program:%s]\n", p.Name)
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		fmt.Fprintf(&b, "%s=%s\n", k, keys[k])
	}
	return []byte(b.String()), nil
}

// supervisordConfig returns the main config file of a sandboxed supervisord.
func supervisordConfig(s *Supervisord) []byte {
	return fmt.Appendf(nil, `; Written by poolvisor's sandbox package.
[unix_http_server]
file=%[1]s
chmod=0700

[supervisord]
nodaemon=true
logfile=%[2]s
pidfile=%[3]s
childlogdir=%[4]s
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s

[include]
files = %[5]s
`, s.SocketPath, filepath.Join(s.Dir, "supervisord.log"), s.pidFile(),
		s.LogDir, filepath.Join(s.ProgramDir, "*.conf"))
}
