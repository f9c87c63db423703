package hostscan

import (
	"errors"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// Supervisor is supervisord's setup as its config file describes it.
type Supervisor struct {
	ConfigFile string // the main config supervisord reads
	FoundBy    string // how ConfigFile was found, like "-c in /lib/systemd/system/supervisor.service"
	// URL is the XML-RPC endpoint: unix:///path from [unix_http_server],
	// else http://host:port from [inet_http_server]; "" when neither is set.
	URL         string
	Username    string // the server's username=, when it asks for one
	HasPassword bool   // the server asks for a password; its value is never read into a Layout
	// Includes are the [include] files patterns, each made absolute the way
	// supervisord does: %(here)s expanded, relative to the config's directory.
	Includes []string
	// Files are the main config (when it defines programs) and every file the
	// patterns match, in the order supervisord reads them.
	Files []ProgramFile
	// ProgramDir is where new program files should go: the directory of the
	// first include pattern that names one; ProgramExt the extension that
	// pattern expects (".conf", ".ini", or "" for any name).
	ProgramDir string
	ProgramExt string
	LogDir     string // [supervisord] childlogdir, else the directory of its logfile
}

// ProgramFile is one file supervisord reads and what it defines.
type ProgramFile struct {
	Path           string
	Programs       []Program // [program:x] and [fcgi-program:x]
	Groups         []Group   // [group:x]
	EventListeners []string  // [eventlistener:x]
}

// Program is one [program:x] or [fcgi-program:x] section.
type Program struct {
	Name string
	Kind string // program | fcgi-program
	User string // its user=, "" when it runs as supervisord's user
}

// Group is one [group:x] section and the programs it lists.
type Group struct {
	Name     string
	Programs []string
}

// supervisordBinaries are where the packages and pip put supervisord. Its
// search path depends on where it is installed (options.py: "here" is the
// binary's directory's parent).
var supervisordBinaries = []string{"/usr/bin/supervisord", "/usr/local/bin/supervisord", "/bin/supervisord"}

// supervisorUnits are the systemd units that start supervisord: Debian's
// supervisor.service and EPEL's supervisord.service; supervisorScripts are
// Alpine's and Debian's init scripts. Their -c names the config whatever
// supervisord's search path says.
var (
	supervisorUnits   = []string{"supervisor.service", "supervisord.service"}
	supervisorScripts = []string{"/etc/init.d/supervisord", "/etc/init.d/supervisor"}
)

// supervisorServices lists the files that may start supervisord, those that
// take precedence first: drop-ins (the last in name order wins) before their
// unit, /etc before /lib and /usr/lib, then the init scripts.
func (h *host) supervisorServices() []string {
	var out []string
	for _, unit := range supervisorUnits {
		for _, d := range unitDirs {
			dropins := h.glob(daemonglob.C, path.Join(d, unit+".d", "*.conf"))
			slices.Reverse(dropins)
			out = append(out, dropins...)
		}
		for _, d := range unitDirs {
			out = append(out, path.Join(d, unit))
		}
	}
	return append(out, supervisorScripts...)
}

var configFlagRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|\s)(?:-c|--configuration)(?:\s+|=)["']?([^\s"';]+)`)
})

// supervisorSearchPath is supervisord's own list (supervisor/options.py,
// Options.__init__), for the binaries installed, without its two entries
// relative to the working directory: a service's is "/", which makes them
// /supervisord.conf (kept) and /etc/supervisord.conf (already listed).
// /etc/supervisor.conf is not on it: supervisord never reads it unless told.
func (h *host) supervisorSearchPath() []string {
	var out []string
	for _, bin := range supervisordBinaries {
		if h.exists(bin) {
			here := path.Dir(path.Dir(bin))
			out = append(out, path.Join(here, "etc", "supervisord.conf"), path.Join(here, "supervisord.conf"))
		}
	}
	out = append(out, "/supervisord.conf", "/etc/supervisord.conf", "/etc/supervisor/supervisord.conf")
	return dedupe(out)
}

// findSupervisorConfig returns the config supervisord reads and how it was
// found: the -c of the service that starts it, else the first file of
// supervisord's search path. Other existing candidates become notes.
func (h *host) findSupervisorConfig() (file, foundBy string) {
	for _, svc := range h.supervisorServices() {
		text, err := h.read(svc)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "#") {
				continue
			}
			if m := configFlagRE().FindStringSubmatch(line); m != nil && path.IsAbs(m[1]) {
				file, foundBy = m[1], "-c in "+svc
				break
			}
		}
		if file != "" {
			break
		}
	}
	search := h.supervisorSearchPath()
	for _, c := range search {
		if !h.exists(c) {
			continue
		}
		switch {
		case file == "":
			file, foundBy = c, "supervisord's search path"
		case c != file:
			h.note("%s also exists, but supervisord reads %s (%s)", c, file, foundBy)
		}
	}
	if file == "" {
		h.problem("no supervisord config found (looked for "+strings.Join(search, ", ")+" and the -c of a supervisor service)",
			"install Supervisor (apt-get install supervisor, dnf install supervisor, apk add supervisor), or set supervisor.config_file to the file supervisord is started with")
	}
	return file, foundBy
}

func scanSupervisor(h *host) *Supervisor {
	file, foundBy := h.findSupervisorConfig()
	if file == "" {
		return nil
	}
	s := &Supervisor{ConfigFile: file, FoundBy: foundBy}
	text, err := h.read(file)
	if err != nil {
		h.problem("cannot read "+file+" ("+errText(err)+")", "run poolvisor init as root, or as a user who can read it")
		return s
	}
	ini, err := parseINI(text, pythonINI)
	if err != nil {
		h.problem("cannot parse "+file+" ("+err.Error()+")", "fix the file; supervisord would refuse it too (supervisord -c %s -n shows why)", file)
		return s
	}
	here := path.Dir(file)
	node, _ := os.Hostname()
	h.supervisorURL(s, ini, here, node)
	h.supervisorLogDir(s, ini, here, node)
	if pf := programFile(file, ini); !pf.empty() {
		s.Files = append(s.Files, pf)
	}
	h.supervisorIncludes(s, ini, here, node)
	return s
}

// proposedIncludeDir is the include directory the distribution's own
// package uses next to its main config.
func proposedIncludeDir(here string) string {
	if here == "/etc/supervisor" {
		return "conf.d"
	}
	return "supervisord.d"
}

func (s *section) getOrEmpty(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	return s.get(key)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// errText is an error's text without the root prefix of a fixture tree.
func errText(err error) string {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
