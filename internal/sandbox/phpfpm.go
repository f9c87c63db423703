package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PHPFPM is a php-fpm master running in a directory of its own: its main
// config, pool dir, sockets, pid file and error log all live there.
type PHPFPM struct {
	Dir        string // the sandbox directory
	Binary     string // the php-fpm binary, like /usr/sbin/php-fpm8.2
	Version    string // its PHP version, like "8.2"
	MainConfig string // Dir/php-fpm.conf
	PoolDir    string // Dir/pool.d, one <name>.conf per pool
	SocketDir  string // Dir/run, or a short dir under os.TempDir when Dir is long
	PIDFile    string // Dir/php-fpm.pid
	ErrorLog   string // Dir/log/php-fpm.log
	// User and Group are what the pools run as: nobody and its group when
	// the tests run as root, else empty (php-fpm keeps the caller's).
	User, Group string
	// Daemonize says whether the master daemonizes. A daemonized master
	// comes back from a USR2 reload under a new pid; read PIDFile again.
	Daemonize bool

	shortDir string
	mu       sync.Mutex
	d        *daemon // the foreground master this process started, if any
}

// fpmBinaryRE matches Debian's versioned php-fpm binaries.
var fpmBinaryRE = regexp.MustCompile(`^php-fpm(\d+\.\d+)$`)

// PHPFPMPath returns the php-fpm binary to run and its version: the newest
// /usr/sbin/php-fpm<version> that Debian's php<version>-fpm installs.
func PHPFPMPath() (bin, version string, err error) {
	matches, _ := filepath.Glob("/usr/sbin/php-fpm*")
	for _, m := range matches {
		sub := fpmBinaryRE.FindStringSubmatch(filepath.Base(m))
		if sub == nil {
			continue
		}
		if version == "" || newerVersion(sub[1], version) {
			bin, version = m, sub[1]
		}
	}
	if bin == "" {
		return "", "", errors.New("php-fpm is not installed (no /usr/sbin/php-fpm<version>)")
	}
	return bin, version, nil
}

// newerVersion reports whether version a ("8.10") is newer than b ("8.2").
func newerVersion(a, b string) bool {
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

// StartPHPFPM writes a main config and pools into dir and starts a php-fpm
// master in the foreground, as a child of this process (like systemd runs
// it). It returns once the master is ready to handle connections. Pool
// files already in dir/pool.d are kept, so a master can be started again in
// the same dir after Stop or Kill.
func StartPHPFPM(dir string, pools ...Pool) (*PHPFPM, error) {
	return startPHPFPM(dir, false, pools)
}

// StartPHPFPMDaemonized is StartPHPFPM for a master that daemonizes, as
// php-fpm does by default outside systemd.
func StartPHPFPMDaemonized(dir string, pools ...Pool) (*PHPFPM, error) {
	return startPHPFPM(dir, true, pools)
}

// layout returns the PHPFPM of a sandbox in dir: its files, sockets and
// pool identity, without starting anything.
func layout(dir string, daemonize bool) (*PHPFPM, error) {
	bin, version, err := PHPFPMPath()
	if err != nil {
		return nil, err
	}
	if dir, err = absDir(dir); err != nil {
		return nil, err
	}
	f := &PHPFPM{
		Dir: dir, Binary: bin, Version: version, Daemonize: daemonize,
		MainConfig: filepath.Join(dir, "php-fpm.conf"),
		PoolDir:    filepath.Join(dir, "pool.d"),
		PIDFile:    filepath.Join(dir, "php-fpm.pid"),
		ErrorLog:   filepath.Join(dir, "log", "php-fpm.log"),
	}
	f.SocketDir, f.shortDir = fpmSocketDir(dir)
	if f.User, f.Group, err = poolIdentity(); err != nil {
		return nil, err
	}
	return f, nil
}

func startPHPFPM(dir string, daemonize bool, pools []Pool) (*PHPFPM, error) {
	f, err := layout(dir, daemonize)
	if err != nil {
		return nil, err
	}
	if pid := f.MasterPID(); pid != 0 {
		return nil, fmt.Errorf("php-fpm is already running in %s (pid %d)", f.Dir, pid)
	}
	for _, d := range []string{f.Dir, f.PoolDir, filepath.Dir(f.ErrorLog), f.SocketDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	for _, p := range pools {
		if _, err := f.WritePool(p); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(f.MainConfig, phpFPMConfig(f), 0o644); err != nil {
		return nil, fmt.Errorf("write php-fpm main config: %w", err)
	}
	if err := f.start(); err != nil {
		_ = f.Stop()
		return nil, err
	}
	return f, nil
}

// start runs the master and waits until it is ready.
func (f *PHPFPM) start() error {
	ready := f.countLog(readyLine)
	out := filepath.Join(f.Dir, "php-fpm.out")
	args := []string{"--fpm-config", f.MainConfig}
	if f.Daemonize {
		// The parent exits once the daemon is ready (or has failed).
		cmd := exec.Command(f.Binary, args...)
		o, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open php-fpm output: %w", err)
		}
		defer o.Close()
		cmd.Stdout, cmd.Stderr, cmd.Dir = o, o, f.Dir
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("php-fpm did not start: %w\n--- tail of %s ---\n%s", err, f.ErrorLog, tailFile(f.ErrorLog, 2048))
		}
	} else {
		d, err := startDaemon(f.Binary, args, out, false)
		if err != nil {
			return err
		}
		f.d = d
	}
	return f.waitReady(ready)
}

// readyLine is what php-fpm logs once a (re)started master serves.
const readyLine = "ready to handle connections"

// waitReady waits until the log shows more ready lines than before, the
// master named by the pid file runs, and every pool has the workers it
// starts with (php-fpm forks them just after it logs that it is ready).
func (f *PHPFPM) waitReady(before int) error {
	deadline := time.Now().Add(readyTimeout)
	want := startWorkers(f.PoolDir)
	for {
		if f.countLog(readyLine) > before && f.MasterPID() != 0 && f.hasWorkers(want) {
			return nil
		}
		if f.d != nil && f.d.exited() && !f.Daemonize {
			return fmt.Errorf("php-fpm (pid %d) exited during startup\n--- tail of %s ---\n%s", f.d.pid, f.ErrorLog, tailFile(f.ErrorLog, 2048))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("php-fpm not ready after %s\n--- tail of %s ---\n%s", readyTimeout, f.ErrorLog, tailFile(f.ErrorLog, 2048))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hasWorkers reports whether every pool has at least want[pool] workers.
func (f *PHPFPM) hasWorkers(want map[string]int) bool {
	for pool, n := range want {
		if len(f.Workers(pool)) < n {
			return false
		}
	}
	return true
}

// countLog counts the lines of the error log that contain s.
func (f *PHPFPM) countLog(s string) int {
	b, err := os.ReadFile(f.ErrorLog)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte(s))
}

// Log returns the whole error log of the master.
func (f *PHPFPM) Log() string {
	b, _ := os.ReadFile(f.ErrorLog)
	return string(b)
}

// SocketPath returns the Unix socket that the sandbox's pool name listens on.
func (f *PHPFPM) SocketPath(name string) string {
	return filepath.Join(f.SocketDir, name+".sock")
}

// WritePool writes <PoolDir>/<name>.conf. It does not reload php-fpm.
func (f *PHPFPM) WritePool(p Pool) (string, error) {
	b, err := p.render(f)
	if err != nil {
		return "", err
	}
	path := filepath.Join(f.PoolDir, p.Name+".conf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", fmt.Errorf("write pool %s: %w", p.Name, err)
	}
	return path, nil
}

// fpmSocketDir returns where a php-fpm in dir puts its pools' sockets, and
// the short directory used when dir is too long for a socket path of a pool
// with a name of up to 32 characters.
func fpmSocketDir(dir string) (sockDir, shortDir string) {
	path, short := socketPath(dir, "run/"+strings.Repeat("x", 32)+".sock")
	return filepath.Dir(path), short
}
