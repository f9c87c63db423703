package hostscan

import (
	"errors"
	"os"
	"path"
	"regexp"
	"strings"
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

// supervisorServices are the unit and init scripts that start supervisord:
// Debian's supervisor.service, EPEL's supervisord.service, Alpine's and
// Debian's init scripts. Their -c names the config whatever the search path.
var supervisorServices = []string{
	"/etc/systemd/system/supervisor.service", "/etc/systemd/system/supervisord.service",
	"/lib/systemd/system/supervisor.service", "/lib/systemd/system/supervisord.service",
	"/usr/lib/systemd/system/supervisor.service", "/usr/lib/systemd/system/supervisord.service",
	"/etc/init.d/supervisord", "/etc/init.d/supervisor",
}

var configFlagRE = regexp.MustCompile(`(?:^|\s)(?:-c|--configuration)(?:\s+|=)["']?([^\s"';]+)`)

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
	for _, svc := range supervisorServices {
		text, err := h.read(svc)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "#") {
				continue
			}
			if m := configFlagRE.FindStringSubmatch(line); m != nil && path.IsAbs(m[1]) {
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

// supervisorURL fills URL, Username and HasPassword from the HTTP server
// sections. The unix socket wins when both are set: it is local and guarded
// by file permissions.
func (h *host) supervisorURL(s *Supervisor, ini *iniFile, here, node string) {
	if sec := ini.section("unix_http_server"); sec != nil {
		sock, _ := sec.get("file")
		sock, ok := expandPython(sock, here, node)
		switch {
		case !ok || !path.IsAbs(sock):
			h.problem("[unix_http_server] file="+sock+" in "+s.ConfigFile+" is no absolute path poolvisor can resolve",
				"set it to an absolute path like /run/supervisor.sock, or set supervisor.url")
		default:
			s.URL = "unix://" + sock
			s.Username, _ = sec.get("username")
			_, s.HasPassword = sec.get("password")
			if !h.exists(sock) {
				h.note("no socket at %s yet: supervisord is not running, or was started with another config", sock)
			}
			return
		}
	}
	if sec := ini.section("inet_http_server"); sec != nil {
		port, _ := sec.get("port")
		hostPart, portPart, found := strings.Cut(port, ":")
		if !found {
			hostPart, portPart = "", port
		}
		if hostPart == "" || hostPart == "*" || hostPart == "0.0.0.0" {
			hostPart = "127.0.0.1"
		}
		if portPart == "" {
			h.problem("[inet_http_server] in "+s.ConfigFile+" has no port=", "set port=127.0.0.1:9001 there, or add a [unix_http_server] with file=/run/supervisor.sock")
			return
		}
		s.URL = "http://" + hostPart + ":" + portPart
		s.Username, _ = sec.get("username")
		_, s.HasPassword = sec.get("password")
		return
	}
	h.problem(s.ConfigFile+" starts no XML-RPC server (no [unix_http_server] nor [inet_http_server])",
		"add [unix_http_server] with file=/run/supervisor.sock and chmod=0700, and the [rpcinterface:supervisor] section, then restart supervisord")
}

func (h *host) supervisorLogDir(s *Supervisor, ini *iniFile, here, node string) {
	sec := ini.section("supervisord")
	if sec == nil {
		h.problem(s.ConfigFile+" has no [supervisord] section", "supervisord refuses such a file; restore it from the package (it is the main config)")
		return
	}
	if dir, ok := sec.get("childlogdir"); ok {
		if dir, ok := expandPython(dir, here, node); ok && path.IsAbs(dir) {
			s.LogDir = path.Clean(dir)
			return
		}
	}
	// Without childlogdir, supervisord puts AUTO child logs in $TMPDIR. The
	// directory of its own log is a proposal only when it is supervisord's
	// own: a configured log dir is writable for every program (the write
	// policy allows it), which all of /var/log must not be.
	if logfile, ok := sec.get("logfile"); ok {
		if logfile, ok := expandPython(logfile, here, node); ok && path.IsAbs(logfile) {
			s.LogDir = path.Dir(logfile)
			if !strings.Contains(path.Base(s.LogDir), "supervisor") {
				s.LogDir = path.Join(s.LogDir, "supervisor")
				h.problem(s.ConfigFile+" sets no childlogdir, and its logfile is in "+path.Dir(logfile)+", a directory not supervisord's own",
					"create %s and set childlogdir=%s in [supervisord] (poolvisor proposes it as supervisor.log_dir)", s.LogDir, s.LogDir)
			}
			return
		}
	}
	h.problem("neither childlogdir nor logfile in "+s.ConfigFile+"'s [supervisord] names a log directory",
		"set childlogdir=/var/log/supervisor there, or set supervisor.log_dir")
}

// supervisorIncludes resolves [include] files as supervisord does: split on
// blanks, %(here)s expanded, each pattern joined to the config's directory,
// matches sorted; then reads every included file.
func (h *host) supervisorIncludes(s *Supervisor, ini *iniFile, here, node string) {
	sec := ini.section("include")
	files, _ := sec.getOrEmpty("files")
	if sec == nil || strings.TrimSpace(files) == "" {
		h.problem(s.ConfigFile+" includes no other files (no [include] files=)",
			"add [include] with files = %s, so programs live in files of their own", path.Join(here, proposedIncludeDir(here), "*.conf"))
		return
	}
	expanded, ok := expandPython(files, here, node)
	if !ok {
		h.problem("[include] files="+files+" in "+s.ConfigFile+" uses an expansion that depends on supervisord's environment",
			"write the patterns out, like %s/*.conf", path.Join(here, proposedIncludeDir(here)))
		return
	}
	for _, pattern := range strings.Fields(expanded) {
		if !path.IsAbs(pattern) {
			pattern = path.Join(here, pattern)
		}
		s.Includes = append(s.Includes, pattern)
		if s.ProgramDir == "" {
			if dir, ext, ok := globDir(pattern); ok {
				s.ProgramDir, s.ProgramExt = dir, ext
				if !h.isDir(dir) {
					h.problem("the include directory "+dir+" does not exist", "create it (mkdir -p %s), or change [include] files in %s", dir, s.ConfigFile)
				}
			}
		}
		matches := h.glob(pattern)
		if len(matches) == 0 {
			h.note("[include] pattern %s matches no file yet", pattern)
		}
		for _, m := range matches {
			h.readProgramFile(s, m)
		}
	}
	if s.ProgramDir == "" {
		h.problem("no [include] pattern in "+s.ConfigFile+" names a directory and an extension ("+strings.Join(s.Includes, " ")+")",
			"add a pattern like %s/*.conf to [include] files, or set supervisor.program_dir", path.Join(here, proposedIncludeDir(here)))
	}
}

func (h *host) readProgramFile(s *Supervisor, file string) {
	text, err := h.read(file)
	if err != nil {
		h.problem("cannot read the included file "+file+" ("+errText(err)+")", "run poolvisor init as root, or fix the file's permissions")
		return
	}
	ini, err := parseINI(text, pythonINI)
	if err != nil {
		h.problem("cannot parse the included file "+file+" ("+err.Error()+")", "fix it; supervisord would refuse it too")
		return
	}
	s.Files = append(s.Files, programFile(file, ini))
}

// programFile lists what one parsed file defines.
func programFile(file string, ini *iniFile) ProgramFile {
	pf := ProgramFile{Path: file}
	for _, sec := range ini.sections {
		kind, name, ok := strings.Cut(sec.name, ":")
		if !ok || name == "" {
			continue
		}
		switch kind {
		case "program", "fcgi-program":
			user, _ := sec.get("user")
			pf.Programs = append(pf.Programs, Program{Name: name, Kind: kind, User: user})
		case "group":
			list, _ := sec.get("programs")
			var progs []string
			for _, p := range strings.Split(list, ",") {
				if p = strings.TrimSpace(p); p != "" {
					progs = append(progs, p)
				}
			}
			pf.Groups = append(pf.Groups, Group{Name: name, Programs: progs})
		case "eventlistener":
			pf.EventListeners = append(pf.EventListeners, name)
		}
	}
	return pf
}

func (pf ProgramFile) empty() bool {
	return len(pf.Programs)+len(pf.Groups)+len(pf.EventListeners) == 0
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
