package phpfpm

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// Config is what the backend needs from poolvisor's configuration, with
// every "auto" resolved (FromConfig does that).
type Config struct {
	Host       string // this host's name, for messages
	Version    string // PHP version, like "8.2"
	Binary     string // the php-fpm binary, like /usr/sbin/php-fpm8.2
	MainConfig string // php-fpm.conf
	PoolDir    string // one <pool>.conf per pool; the main config must include <PoolDir>/*.conf
	SocketDir  string // where new pools' sockets go
	LogDir     string // where pools' access and slow logs may go
	// HelperDir is where the OPcache script is installed (opcache_helper.go);
	// "" means DefaultHelperDir.
	HelperDir string
	// Policy is the write policy: where a pool's sockets and logs, which
	// the master creates as root, may be, and where it may listen on TCP.
	Policy         writepolicy.Policy
	ProtectedPools []string
	DefaultUser    string // user and group of new pools
	DefaultGroup   string
	Service        ServiceConfig
	// CallTimeout bounds one FastCGI request, one php-fpm -t and one service
	// command (default 5 s), so a hung php-fpm is reported, never waited on.
	CallTimeout time.Duration
	// ReloadTimeout bounds how long a reload or restart may take to come
	// back ready (default 15 s).
	ReloadTimeout time.Duration
	// StagingDir is where php-fpm -t reads its staged copies of the config
	// (secrets included): the process's directory inside data_dir, swept at
	// the next start if the process dies. Empty: the system's temporary
	// directory (tests and library use).
	StagingDir string
	// EditMainConfig lets poolvisor edit pools defined in MainConfig itself; false: shown, edits refused.
	EditMainConfig bool
	// MemoryBudgetMB is the memory /fpm tune shares among the pools
	// (phpfpm.memory_budget_mb); 0: measured on the host.
	MemoryBudgetMB int
}

// ServiceConfig says how php-fpm is reloaded, restarted and asked for its
// state (SPEC §5, phpfpm.service).
type ServiceConfig struct {
	Mode           string // systemd | signal | command
	Unit           string // systemd unit, like php8.2-fpm
	PIDFile        string // the master's pid file; "" reads it from the main config each time
	ReloadCommand  string // mode command: run with /bin/sh -c
	RestartCommand string
	StatusCommand  string // exit status 0 means running
}

// Debian's php-fpm resolves a relative pid or error_log against
// PHP_LOCALSTATEDIR and a relative include against PHP_PREFIX, unless
// started with -p.
const (
	stateDirPrefix = "/var"
	installPrefix  = "/usr"
)

// system is where FromConfig looks for installed PHP versions; tests point
// it at a temporary tree.
type system struct {
	etcPHP string // /etc/php
	sbin   string // /usr/sbin
}

var defaultSystem = system{etcPHP: "/etc/php", sbin: "/usr/sbin"}

// FromConfig resolves the "auto" values of the single-instance keys of c
// for this host: the PHP version (the newest installed, judged by
// /etc/php/*/fpm/pool.d and /usr/sbin/php-fpm<version>), then the binary,
// main config, pool dir and systemd unit derived from it, and the pid file
// named by the main config. ResolveInstances resolves every instance.
func FromConfig(host string, c config.PHPFPM) (Config, error) {
	return fromConfig(host, c.Single(), defaultSystem)
}

// InstanceConfig is one PHP-FPM instance as configured or detected: the
// name --php takes, and its resolved Config or the reason it has none.
type InstanceConfig struct {
	Name   string
	Config Config
	Err    error
}

// ResolveInstances resolves c into its instances (SPEC §6) and names the
// default one. With phpfpm.instances, each entry is resolved by itself; one
// that fails carries its error and the others are unaffected. Without
// them, version, binary, main_config and pool_dir all auto find every
// installed version (DetectInstances), one instance each, named by its
// version, the newest the default unless default_instance names another;
// otherwise the single-instance keys make one instance as FromConfig does.
// The error is for a config that yields no instance at all.
func ResolveInstances(host string, c config.PHPFPM) ([]InstanceConfig, string, error) {
	return resolveInstances(host, c, defaultSystem, DetectInstances)
}

func resolveInstances(host string, c config.PHPFPM, sys system, detect func() ([]Installation, error)) ([]InstanceConfig, string, error) {
	if len(c.Instances) > 0 {
		out := make([]InstanceConfig, len(c.Instances))
		for i, in := range c.Instances {
			cfg, err := fromConfig(host, in, sys)
			if err != nil {
				err = fmt.Errorf("phpfpm.instances[%d] (%s): %w", i, in.Name, err)
			}
			out[i] = InstanceConfig{Name: in.Name, Config: cfg, Err: err}
		}
		def := c.DefaultInstance
		if def == "" {
			def = out[0].Name
		}
		return out, def, nil
	}
	single := c.Single()
	auto := func(s string) bool { return s == "" || s == "auto" }
	if !auto(single.Version) || !auto(single.Binary) || !auto(single.MainConfig) || !auto(single.PoolDir) {
		cfg, err := fromConfig(host, single, sys)
		if err != nil {
			return nil, "", err
		}
		if c.DefaultInstance != "" && c.DefaultInstance != cfg.Version {
			return nil, "", fmt.Errorf("phpfpm.default_instance: %q names no instance; the one instance here is PHP %s", c.DefaultInstance, cfg.Version)
		}
		return []InstanceConfig{{Name: cfg.Version, Config: cfg}}, cfg.Version, nil
	}
	found, err := detect()
	if err != nil {
		return nil, "", err
	}
	out := make([]InstanceConfig, len(found))
	var names []string
	for i, f := range found {
		in := single
		name := f.Name
		if name == "" {
			name = f.Version
		}
		in.Name, in.Version, in.Binary, in.MainConfig = name, f.Version, f.Binary, f.MainConfig
		if f.PoolDir != "" {
			in.PoolDir = f.PoolDir
		}
		if auto(in.Service.Unit) && f.Unit != "" {
			in.Service.Unit = f.Unit
		}
		cfg, err := fromConfig(host, in, sys)
		if err != nil {
			err = fmt.Errorf("PHP %s: %w", name, err)
		}
		out[i] = InstanceConfig{Name: name, Config: cfg, Err: err}
		names = append(names, name)
	}
	def := names[len(names)-1]
	if c.DefaultInstance != "" {
		if !slices.Contains(names, c.DefaultInstance) {
			return nil, "", fmt.Errorf("phpfpm.default_instance: PHP %s is not installed (found %s)", c.DefaultInstance, strings.Join(names, ", "))
		}
		def = c.DefaultInstance
	}
	return out, def, nil
}

func fromConfig(host string, c config.FPMInstance, sys system) (Config, error) {
	cfg := Config{
		Host: host, Version: c.Version, Binary: c.Binary, MainConfig: c.MainConfig, PoolDir: c.PoolDir,
		SocketDir: c.SocketDir, LogDir: c.LogDir, HelperDir: c.HelperDir, ProtectedPools: c.ProtectedPools, EditMainConfig: c.EditMainConfig,
		MemoryBudgetMB: c.MemoryBudgetMB, DefaultUser: c.Defaults.User, DefaultGroup: c.Defaults.Group,
		Service: ServiceConfig{
			Mode: c.Service.Mode, Unit: c.Service.Unit, PIDFile: c.Service.PIDFile,
			ReloadCommand: c.Service.ReloadCommand, RestartCommand: c.Service.RestartCommand,
			StatusCommand: c.Service.StatusCommand,
		},
	}
	if cfg.Version == "auto" || cfg.Version == "" {
		v, err := detectVersion(cfg.Binary, sys)
		if err != nil {
			return Config{}, err
		}
		cfg.Version = v
	}
	auto := func(s string) bool { return s == "" || s == "auto" }
	if auto(cfg.Binary) {
		cfg.Binary = filepath.Join(sys.sbin, "php-fpm"+cfg.Version)
	}
	if auto(cfg.MainConfig) {
		cfg.MainConfig = filepath.Join(sys.etcPHP, cfg.Version, "fpm", "php-fpm.conf")
	}
	if auto(cfg.PoolDir) {
		cfg.PoolDir = filepath.Join(sys.etcPHP, cfg.Version, "fpm", "pool.d")
	}
	if cfg.SocketDir == "" {
		cfg.SocketDir = "/run/php"
	}
	if auto(cfg.Service.Unit) {
		cfg.Service.Unit = "php" + cfg.Version + "-fpm"
	}
	if auto(cfg.Service.PIDFile) {
		cfg.Service.PIDFile = ""
		m, err := readMainConfig(cfg.MainConfig)
		switch {
		case err == nil:
			cfg.Service.PIDFile = m.pidFile
		case cfg.Service.Mode == "signal":
			return Config{}, fmt.Errorf("phpfpm.service.pid_file: auto needs the main config: %w", err)
		}
		if cfg.Service.Mode == "signal" && cfg.Service.PIDFile == "" {
			return Config{}, fmt.Errorf("phpfpm.service.pid_file: auto found no pid directive in %s; set one there or here", cfg.MainConfig)
		}
	}
	return cfg, nil
}

var (
	binaryVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^php-fpm(\d+\.\d+)$`) })
	outputVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^PHP (\d+\.\d+)\.`) })
)

// detectVersion finds the newest installed PHP-FPM. A version counts when
// its binary is installed; a pool dir alone (left behind when a package is
// removed but not purged) counts only when no binary is found at all.
func detectVersion(binary string, sys system) (string, error) {
	if binary != "" && binary != "auto" {
		if m := binaryVersionRE().FindStringSubmatch(filepath.Base(binary)); m != nil {
			return m[1], nil
		}
		return binaryVersion(binary)
	}
	pick := func(paths []string, re *regexp.Regexp, part func(string) string) string {
		best := ""
		for _, p := range paths {
			if m := re.FindStringSubmatch(part(p)); m != nil && (best == "" || newer(m[1], best)) {
				best = m[1]
			}
		}
		return best
	}
	bins, _ := filepath.Glob(filepath.Join(sys.sbin, "php-fpm*"))
	if v := pick(bins, binaryVersionRE(), filepath.Base); v != "" {
		return v, nil
	}
	dirs, _ := filepath.Glob(filepath.Join(sys.etcPHP, "*", "fpm", "pool.d"))
	dirVersionRE := regexp.MustCompile(`^(\d+\.\d+)$`)
	if v := pick(dirs, dirVersionRE, func(p string) string { return filepath.Base(filepath.Dir(filepath.Dir(p))) }); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("phpfpm.version: auto found no PHP-FPM on this host (no %s/php-fpm<version>, no %s/<version>/fpm/pool.d); install php-fpm or set phpfpm.version",
		sys.sbin, sys.etcPHP)
}

// binaryVersion asks binary for its version ("PHP 8.2.36 (fpm-fcgi) ...").
func binaryVersion(binary string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "-v").Output()
	if err != nil {
		return "", fmt.Errorf("phpfpm.binary: %s -v: %w", binary, err)
	}
	if m := outputVersionRE().FindStringSubmatch(string(out)); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("phpfpm.binary: %s -v printed no PHP version", binary)
}

// newer reports whether version a ("8.10") is newer than b ("8.2").
func newer(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x > y
		}
	}
	return len(pa) > len(pb)
}

// validate checks a Config that New is given.
func (c Config) validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"binary", c.Binary}, {"main config", c.MainConfig}, {"pool dir", c.PoolDir}, {"socket dir", c.SocketDir},
	} {
		if !filepath.IsAbs(f.v) {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute path", f.name, f.v))
		}
	}
	if c.DefaultUser == "" || c.DefaultGroup == "" {
		errs = append(errs, errors.New("default user and group are required"))
	}
	switch c.Service.Mode {
	case "systemd":
		if c.Service.Unit == "" {
			errs = append(errs, errors.New("service mode systemd needs a unit"))
		}
	case "signal":
	case "command":
		if strings.TrimSpace(c.Service.ReloadCommand) == "" {
			errs = append(errs, errors.New("service mode command needs a reload command"))
		}
	default:
		errs = append(errs, fmt.Errorf("service mode %q is not systemd, signal or command", c.Service.Mode))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("phpfpm: %w", err)
	}
	return nil
}
