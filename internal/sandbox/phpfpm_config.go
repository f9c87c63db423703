package sandbox

import (
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Pool is one pool of a sandboxed php-fpm, written to pool.d/<Name>.conf.
//
// Values are written verbatim after "directive = ", so they must be plain
// words that PHP's ini scanner reads whole (no ';', quotes or '$').
type Pool struct {
	Name string // pool name, also the file name pool.d/<Name>.conf
	// PM is the process manager: static (the default), dynamic or ondemand.
	PM string
	// MaxChildren of 0 means 2. A dynamic pool starts with one worker and
	// keeps 1 to MaxChildren spare; an ondemand pool idles out after 10 s.
	MaxChildren int
	StatusPath  string // pm.status_path, like /status; empty: none
	PingPath    string // ping.path, like /ping; empty: none
	// Extra holds any other directives; they override the ones above and
	// the sandbox's own (user, group, listen, listen.mode).
	Extra map[string]string
}

// validate checks what would otherwise break the pool file.
func (p Pool) validate() error {
	if !programName.MatchString(p.Name) || strings.EqualFold(p.Name, "global") {
		return fmt.Errorf("pool name %q: use letters, digits, '_', '.' and '-' (and not \"global\")", p.Name)
	}
	switch p.PM {
	case "", "static", "dynamic", "ondemand":
	default:
		return fmt.Errorf("pool %s: pm %q is not static, dynamic or ondemand", p.Name, p.PM)
	}
	if p.MaxChildren < 0 {
		return fmt.Errorf("pool %s: max children must not be negative", p.Name)
	}
	for k, v := range p.Extra {
		if k == "" || strings.ContainsAny(k, "= \t\n\r;") || strings.ContainsAny(v, "\n\r;\"'$") {
			return fmt.Errorf("pool %s: invalid extra directive %q or value %q", p.Name, k, v)
		}
	}
	for _, v := range []string{p.StatusPath, p.PingPath} {
		if strings.ContainsAny(v, " \t\n\r;\"'$") {
			return fmt.Errorf("pool %s: invalid path %q", p.Name, v)
		}
	}
	return nil
}

// render returns the pool's file for the sandbox f.
func (p Pool) render(f *PHPFPM) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	n := p.MaxChildren
	if n == 0 {
		n = 2
	}
	keys := map[string]string{
		"listen":          f.SocketPath(p.Name),
		"listen.mode":     "0660",
		"pm.max_children": strconv.Itoa(n),
	}
	if f.User != "" {
		keys["user"], keys["group"] = f.User, f.Group
	}
	switch p.PM {
	case "", "static":
		keys["pm"] = "static"
	case "dynamic":
		keys["pm"] = "dynamic"
		keys["pm.start_servers"] = "1"
		keys["pm.min_spare_servers"] = "1"
		keys["pm.max_spare_servers"] = strconv.Itoa(n)
	case "ondemand":
		keys["pm"] = "ondemand"
		keys["pm.process_idle_timeout"] = "10s"
	}
	if p.StatusPath != "" {
		keys["pm.status_path"] = p.StatusPath
	}
	if p.PingPath != "" {
		keys["ping.path"] = p.PingPath
	}
	maps.Copy(keys, p.Extra)

	var b strings.Builder
	fmt.Fprintf(&b, "; Written by poolvisor's sandbox package.\n[%s]\n", p.Name)
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		fmt.Fprintf(&b, "%s = %s\n", k, keys[k])
	}
	return []byte(b.String()), nil
}

// phpFPMConfig returns the main config of a sandboxed php-fpm. Every path is
// absolute, so the master needs no -p prefix and a restart by a plain
// `php-fpm -y <main config>` finds the same files.
func phpFPMConfig(f *PHPFPM) []byte {
	daemonize := "no"
	if f.Daemonize {
		daemonize = "yes"
	}
	return fmt.Appendf(nil, `; Written by poolvisor's sandbox package.
[global]
pid = %s
error_log = %s
log_level = notice
daemonize = %s
include = %s
`, f.PIDFile, f.ErrorLog, daemonize, filepath.Join(f.PoolDir, "*.conf"))
}

// poolIdentity returns the user and group that pools run as. php-fpm
// started by root refuses pools without a user (and pools running as root
// without -R), so pools run as nobody; started by anyone else, php-fpm
// ignores user and group, and none are written.
func poolIdentity() (userName, groupName string, err error) {
	if os.Geteuid() != 0 {
		return "", "", nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return "", "", fmt.Errorf("look up user nobody for the sandbox's pools: %w", err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return "", "", fmt.Errorf("look up the group of user nobody: %w", err)
	}
	return u.Username, g.Name, nil
}

// startWorkers reads the pool files in dir and returns how many workers
// php-fpm starts each pool with (static: all, dynamic: pm.start_servers or
// its default, ondemand: none). It reads the simple files the sandbox and
// the tests write, not every form PHP's ini syntax allows.
func startWorkers(dir string) map[string]int {
	files, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	pools := map[string]map[string]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		section := ""
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
				section = line[1 : len(line)-1]
				pools[section] = map[string]string{}
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasPrefix(line, ";") {
				continue
			}
			v, _, _ = strings.Cut(v, ";")
			pools[section][strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	out := map[string]int{}
	for name, d := range pools {
		n := func(k string) int { v, _ := strconv.Atoi(d[k]); return v }
		switch d["pm"] {
		case "static":
			out[name] = n("pm.max_children")
		case "dynamic":
			if _, ok := d["pm.start_servers"]; ok {
				out[name] = n("pm.start_servers")
			} else {
				out[name] = n("pm.min_spare_servers") + (n("pm.max_spare_servers")-n("pm.min_spare_servers"))/2
			}
		}
	}
	return out
}
