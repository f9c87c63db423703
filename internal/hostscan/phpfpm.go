package hostscan

import (
	"cmp"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// PHPInstall is one PHP-FPM installation.
type PHPInstall struct {
	// Name is what --php takes: the version, unless another installation
	// has the same version (then "<flavor>-<version>"), or the flavour when
	// the version is unknown.
	Name       string
	Flavor     string // debian (and Ubuntu) | rhel | remi | alpine | local (built from source, Docker's php images)
	Version    string // like "8.3"; "" when neither its paths nor its binary tell
	Binary     string
	MainConfig string
	// Prefix is what php-fpm resolves a relative include= against (its
	// PHP_PREFIX; poolvisor never starts php-fpm with -p).
	Prefix string
	// Includes are the main config's include= globs, made absolute as
	// php-fpm does.
	Includes []string
	// PoolDir is the directory of the first include glob, where new pool
	// files go; PoolExt the extension that glob expects ("" for any name).
	PoolDir string
	PoolExt string
	Pools   []Pool
	// SocketDir is where the pools' unix sockets are (the directory most of
	// them use), else where the package puts them.
	SocketDir string
	LogDir    string // directory of a pool's slowlog or access.log; "" when none sets one
	// DefaultUser and DefaultGroup are the www pool's user and group (else
	// the first pool's): what a new pool should run as on this host.
	DefaultUser, DefaultGroup string
	Service                   Service
}

// Pool is one pool and the file it is defined in.
type Pool struct {
	Name      string
	File      string
	MoreFiles []string // later files with a section of the same name, which php-fpm merges into it
	Listen    string   // $pool expanded
	User      string
	Group     string
	// SlowLog and AccessLog are where the pool logs, when it sets them.
	SlowLog, AccessLog string
}

// Service says how this installation is reloaded and restarted.
type Service struct {
	// Mode is systemd when a unit file exists and systemd runs the host,
	// else signal when the master's pid file is known; "" when neither (a
	// Problem says what to set).
	Mode        string
	Unit        string // the systemd unit, like php8.3-fpm, when its unit file exists
	UnitFile    string
	InitScript  string // an OpenRC or SysV init script, when one exists
	PIDFile     string // the master's pid file, when the main config or the service names one
	PIDFileFrom string // the file that names PIDFile
}

func scanPHP(h *host) []PHPInstall {
	var out []PHPInstall
	for _, f := range h.candidates() {
		if in, ok := h.scanInstall(f); ok {
			out = append(out, in)
		}
	}
	nameInstalls(out)
	if len(out) == 0 {
		h.problem("no PHP-FPM installation found (looked for /usr/sbin/php-fpm<X.Y> with /etc/php/<X.Y>/fpm, /usr/sbin/php-fpm with /etc/php-fpm.conf, /opt/remi/php<XY>, /etc/php<XY>, /usr/local/sbin/php-fpm)",
			"install PHP-FPM (apt-get install php-fpm, dnf install php-fpm, apk add php83-fpm), or set phpfpm.enabled: false")
	}
	return out
}

// nameInstalls gives each installation a unique Name.
func nameInstalls(ins []PHPInstall) {
	seen := map[string]bool{}
	for i := range ins {
		name := ins[i].Version
		if name == "" {
			name = ins[i].Flavor
		}
		if seen[name] {
			name = ins[i].Flavor + "-" + ins[i].Version
		}
		for n := 2; seen[name]; n++ {
			name = ins[i].Flavor + "-" + ins[i].Version + "-" + strconv.Itoa(n)
		}
		seen[name] = true
		ins[i].Name = name
	}
}

// scanInstall reads one installation. ok is false when it is not really
// installed: a config left behind by a removed package is only a note.
func (h *host) scanInstall(f flavor) (PHPInstall, bool) {
	in := PHPInstall{Flavor: f.name, Version: f.version, Binary: f.binary, MainConfig: f.main, Prefix: f.prefix}
	switch {
	case !h.exists(f.binary) && h.exists(f.main):
		h.note("%s exists but %s does not: a PHP-FPM package removed without purging its config; skipped", f.main, f.binary)
		return in, false
	case !h.exists(f.main):
		h.problem(f.binary+" is installed but its main config "+f.main+" is missing",
			"reinstall the package that ships it, or set phpfpm.main_config to the file it is started with")
		return in, false
	}
	if in.Version == "" {
		v, err := h.binaryVersion(f.binary)
		if err != nil {
			h.problem("cannot tell the PHP version of "+f.binary+" ("+err.Error()+")",
				"run %s -v and set the version in poolvisor's config", f.binary)
		}
		in.Version = v
	}
	text, err := h.read(f.main)
	if err != nil {
		h.problem("cannot read "+f.main+" ("+errText(err)+")", "run poolvisor init as root, or as a user who can read it")
		return in, true
	}
	ini, err := parseINI(text, phpINI)
	if err != nil {
		h.problem("cannot parse "+f.main+" ("+err.Error()+")", "fix it; %s -t -y %s shows what php-fpm thinks of it", f.binary, f.main)
		return in, true
	}
	in.addPools(pools(f.main, ini))
	h.phpIncludes(&in, ini)
	h.phpService(&in, f, ini)
	in.SocketDir = socketDir(in.Pools, f.socketDir)
	in.LogDir = logDir(in.Pools)
	h.phpDefaults(&in)
	return in, true
}

// phpIncludes resolves every include= of the main config as php-fpm does:
// a relative glob is relative to the prefix, and its matches are read in
// glob(3) order.
func (h *host) phpIncludes(in *PHPInstall, ini *iniFile) {
	for _, sec := range ini.sections {
		for _, e := range sec.entries {
			if e.key != "include" {
				continue
			}
			glob := e.value
			if strings.Contains(glob, "${") {
				h.problem("include="+glob+" in "+in.MainConfig+" depends on php-fpm's environment",
					"write the path out, or set phpfpm.pool_dir")
				continue
			}
			if !path.IsAbs(glob) {
				glob = path.Join(in.Prefix, glob)
			}
			in.Includes = append(in.Includes, glob)
			if in.PoolDir == "" {
				if dir, ext, ok := globDir(glob); ok {
					in.PoolDir, in.PoolExt = dir, ext
				}
			}
			for _, file := range h.glob(daemonglob.C, glob) {
				h.readPoolFile(in, file)
			}
		}
	}
	if len(in.Includes) == 0 {
		h.problem(in.MainConfig+" includes no pool files (no include=)",
			"add include=%s/*.conf at its end, so pools live in files of their own", path.Join(path.Dir(in.MainConfig), poolDirName(in.Flavor)))
	} else if in.PoolDir == "" {
		h.problem("no include= glob of "+in.MainConfig+" names one directory ("+strings.Join(in.Includes, " ")+")",
			"add include=%s/*.conf, or set phpfpm.pool_dir", path.Join(path.Dir(in.MainConfig), poolDirName(in.Flavor)))
	} else if !h.isDir(in.PoolDir) {
		h.problem("the pool directory "+in.PoolDir+" does not exist", "create it (mkdir -p %s)", in.PoolDir)
	}
}

func poolDirName(flavor string) string {
	if flavor == "debian" {
		return "pool.d"
	}
	return "php-fpm.d"
}

func (h *host) readPoolFile(in *PHPInstall, file string) {
	text, err := h.read(file)
	if err != nil {
		h.problem("cannot read the pool file "+file+" ("+errText(err)+")", "run poolvisor init as root, or fix the file's permissions")
		return
	}
	ini, err := parseINI(text, phpINI)
	if err != nil {
		h.problem("cannot parse the pool file "+file+" ("+err.Error()+")", "fix it; %s -t shows what php-fpm thinks of it", in.Binary)
		return
	}
	in.addPools(pools(file, ini))
}

// addPools adds pools read from one file. A section named like a pool
// already read configures that pool further, as in php-fpm (Docker's
// zz-docker.conf resets www's listen this way): its values win, and the
// file is listed under MoreFiles.
func (in *PHPInstall) addPools(add []Pool) {
	for _, p := range add {
		i := slices.IndexFunc(in.Pools, func(q Pool) bool { return q.Name == p.Name })
		if i < 0 {
			in.Pools = append(in.Pools, p)
			continue
		}
		old := &in.Pools[i]
		for _, f := range []struct {
			to   *string
			from string
		}{
			{&old.Listen, p.Listen}, {&old.User, p.User}, {&old.Group, p.Group},
			{&old.SlowLog, p.SlowLog}, {&old.AccessLog, p.AccessLog},
		} {
			if f.from != "" {
				*f.to = f.from
			}
		}
		if p.File != old.File && !slices.Contains(old.MoreFiles, p.File) {
			old.MoreFiles = append(old.MoreFiles, p.File)
		}
	}
}

// pools lists the pool sections of one file: every section but [global].
func pools(file string, ini *iniFile) []Pool {
	var out []Pool
	for _, sec := range ini.sections {
		if sec.name == "global" {
			continue
		}
		get := func(k string) string {
			v, _ := sec.get(k)
			return strings.ReplaceAll(v, "$pool", sec.name)
		}
		out = append(out, Pool{Name: sec.name, File: file, Listen: get("listen"), User: get("user"), Group: get("group"),
			SlowLog: get("slowlog"), AccessLog: get("access.log")})
	}
	return out
}

// socketDir is the directory most pools' unix sockets are in, else def.
func socketDir(pools []Pool, def string) string {
	count := map[string]int{}
	best := ""
	for _, p := range pools {
		if !path.IsAbs(p.Listen) {
			continue
		}
		d := path.Dir(p.Listen)
		count[d]++
		if best == "" || count[d] > count[best] {
			best = d
		}
	}
	if best == "" {
		return def
	}
	return best
}

// logDir is the directory of the first pool's slowlog or access.log.
func logDir(pools []Pool) string {
	for _, p := range pools {
		for _, l := range []string{p.SlowLog, p.AccessLog} {
			if path.IsAbs(l) {
				return path.Dir(l)
			}
		}
	}
	return ""
}

// phpDefaults picks the user and group of new pools: the www pool's, else
// the first pool's (a pool without group= runs as its user's group).
func (h *host) phpDefaults(in *PHPInstall) {
	i := slices.IndexFunc(in.Pools, func(p Pool) bool { return p.Name == "www" && p.User != "" })
	if i < 0 {
		i = slices.IndexFunc(in.Pools, func(p Pool) bool { return p.User != "" })
	}
	if i < 0 {
		if len(in.Pools) == 0 {
			h.problem(in.MainConfig+" and the files it includes define no pool", "php-fpm refuses to start without one; add one to %s", cmp.Or(in.PoolDir, path.Dir(in.MainConfig)))
		}
		return
	}
	in.DefaultUser = in.Pools[i].User
	in.DefaultGroup = cmp.Or(in.Pools[i].Group, in.Pools[i].User)
}
