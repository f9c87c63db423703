package hostscan

import (
	"path"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// This file reads what supervisord's main config says: its XML-RPC server,
// its log directory and the files it includes.

// supervisorURL fills URL, Username and HasPassword from the HTTP server
// sections. The unix socket wins when both are set: it is local and guarded
// by file permissions.
func (h *host) supervisorURL(s *Supervisor, ini *iniFile, here, node string) {
	unix, inet := ini.section("unix_http_server"), ini.section("inet_http_server")
	if unix == nil && inet == nil {
		h.problem(s.ConfigFile+" starts no XML-RPC server (no [unix_http_server] nor [inet_http_server])",
			"add [unix_http_server] with file=/run/supervisor.sock and chmod=0700, and the [rpcinterface:supervisor] section, then restart supervisord")
		return
	}
	if sec := unix; sec != nil {
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
	if sec := inet; sec != nil {
		// port= is "host:port", "*:port" or ":port" (every interface, which
		// poolvisor reaches on the loopback), or "[::1]:port".
		port, _ := sec.get("port")
		hostPart, portPart := "", port
		if i := strings.LastIndexByte(port, ':'); i >= 0 {
			hostPart, portPart = port[:i], port[i+1:]
		}
		if hostPart == "" || hostPart == "*" || hostPart == "0.0.0.0" || hostPart == "[::]" {
			hostPart = "127.0.0.1"
		}
		if portPart == "" {
			h.problem("[inet_http_server] in "+s.ConfigFile+" has no port=", "set port=127.0.0.1:9001 there, or add a [unix_http_server] with file=/run/supervisor.sock")
			return
		}
		s.URL = "http://" + hostPart + ":" + portPart
		s.Username, _ = sec.get("username")
		_, s.HasPassword = sec.get("password")
	}
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
		matches := h.glob(daemonglob.Python, pattern)
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
