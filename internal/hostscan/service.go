package hostscan

import (
	"context"
	"errors"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// unitDirs are where systemd looks for unit files, highest precedence first
// (/run/systemd/system holds runtime units; /lib is /usr/lib on merged-/usr
// systems, and either may hold a package's units).
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

var (
	pidFlagRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|\s)(?:--pid|-g)(?:\s+|=)["']?([^\s"';]+)`) })
	pidfileVarRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*pidfile=["']?([^\s"']+)["']?`) })
	phpVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^PHP (\d+\.\d+)\.`) })
)

// unitFile returns the unit file of unit, or "".
func (h *host) unitFile(unit string) string {
	for _, d := range unitDirs {
		if f := path.Join(d, unit+".service"); h.exists(f) {
			return f
		}
	}
	return ""
}

// systemdRunning reports whether systemd manages the host: the test
// sd_booted(3) makes.
func (h *host) systemdRunning() bool { return h.isDir("/run/systemd/system") }

// phpService decides how an installation is reloaded: through its systemd
// unit when one is installed and systemd runs the host; else by signals to
// the pid in its pid file (Alpine's OpenRC, containers). The pid file is the
// main config's [global] pid (relative to the state dir, as php-fpm reads
// it), else the --pid or pidfile= of its unit or init script.
func (h *host) phpService(in *PHPInstall, f flavor, ini *iniFile) {
	s := &in.Service
	if uf := h.unitFile(f.unit); uf != "" {
		s.Unit, s.UnitFile = f.unit, uf
	}
	if h.exists(f.init) {
		s.InitScript = f.init
	}
	if g := ini.section("global"); g != nil {
		if pid, ok := g.get("pid"); ok && pid != "" {
			if !path.IsAbs(pid) {
				pid = path.Join(f.stateDir, pid)
			}
			s.PIDFile, s.PIDFileFrom = pid, in.MainConfig
		}
	}
	if s.PIDFile == "" {
		s.PIDFile, s.PIDFileFrom = h.servicePID(s.UnitFile, s.InitScript)
	}
	running := h.systemdRunning()
	switch {
	case s.Unit != "" && running:
		s.Mode = "systemd"
	case s.PIDFile != "":
		s.Mode = "signal"
		if s.Unit != "" {
			h.note("%s has the systemd unit %s, but systemd does not run this host (no /run/systemd/system): signals to the pid in %s instead", in.Binary, s.Unit, s.PIDFile)
		}
	case s.Unit != "":
		s.Mode = "systemd"
		h.problem("systemd does not run this host, and "+in.MainConfig+" names no pid file",
			"set pid = /run/php-fpm-%s.pid in its [global] section (then poolvisor can signal the master), or start the host with systemd", in.Version)
	default:
		h.problem("no systemd unit "+f.unit+" and no pid file for "+in.Binary,
			"set pid = /run/%s.pid in the [global] section of %s and restart php-fpm, so poolvisor can signal its master", path.Base(f.unit), in.MainConfig)
	}
}

// servicePID finds a pid file named by a unit's or init script's command
// line (--pid FILE) or by an OpenRC pidfile= line.
func (h *host) servicePID(files ...string) (pid, from string) {
	for _, f := range files {
		if f == "" {
			continue
		}
		text, err := h.read(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, re := range []*regexp.Regexp{pidFlagRE(), pidfileVarRE()} {
				if m := re.FindStringSubmatch(line); m != nil && path.IsAbs(m[1]) && !strings.Contains(m[1], "$") {
					return m[1], f
				}
			}
		}
	}
	return "", ""
}

// binaryVersion asks a php-fpm binary for its version ("PHP 8.1.27
// (fpm-fcgi) ..."). The binary runs with a short timeout; on a fixture tree
// it is a script that prints such a line.
func (h *host) binaryVersion(binary string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, h.real(binary), "-v").Output()
	if err != nil {
		return "", err
	}
	m := phpVersionRE().FindStringSubmatch(string(out))
	if m == nil {
		return "", errors.New("its -v printed no PHP version")
	}
	return m[1], nil
}
