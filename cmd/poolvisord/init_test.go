package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/golden"
)

// fixtures are internal/hostscan's fixture hosts.
const fixtures = "../../internal/hostscan/testdata/hosts"

func runInitArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"init"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestInitThisHost runs init against this machine's own packages (installed
// by scripts/install-deps.sh) and loads what it writes.
func TestInitThisHost(t *testing.T) {
	for _, p := range []string{"/etc/supervisor/supervisord.conf", "/etc/php/8.2/fpm/php-fpm.conf", "/usr/sbin/php-fpm8.2"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is missing: run scripts/install-deps.sh as root to install supervisor and php-fpm", p)
		}
	}
	out := filepath.Join(t.TempDir(), "etc", "poolvisor.yaml")
	code, stdout, stderr := runInitArgs(t, "--out", out)
	if code != 0 {
		t.Fatalf("init exit %d:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("with --out, stdout holds %q", stdout)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file %v, %v; want mode 0600", fi, err)
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	if cfg.Supervisor.ConfigFile != "/etc/supervisor/supervisord.conf" || !cfg.Supervisor.Enabled {
		t.Errorf("supervisor %+v", cfg.Supervisor)
	}
	f := cfg.PHPFPM
	if f.Version != "8.2" || f.Binary != "/usr/sbin/php-fpm8.2" || f.MainConfig != "/etc/php/8.2/fpm/php-fpm.conf" || f.PoolDir != "/etc/php/8.2/fpm/pool.d" {
		t.Errorf("phpfpm %+v", f)
	}
	if len(cfg.RBAC.Bindings) != 1 || cfg.RBAC.Bindings[0].Role != "admin" || len(cfg.RBAC.Bindings[0].Users("local")) != 1 {
		t.Errorf("bindings %+v, want the running user as admin", cfg.RBAC.Bindings)
	}
	// stderr names every pool file and program file really there.
	real, _ := filepath.Glob("/etc/php/8.2/fpm/pool.d/*.conf")
	progs, _ := filepath.Glob("/etc/supervisor/conf.d/*.conf")
	for _, p := range append(real, progs...) {
		if !strings.Contains(stderr, p) {
			t.Errorf("stderr does not name %s:\n%s", p, stderr)
		}
	}
	if !strings.Contains(stderr, "pool www: /etc/php/8.2/fpm/pool.d/www.conf") {
		t.Errorf("stderr does not list the www pool:\n%s", stderr)
	}

	// An existing file is refused without --force, replaced with it.
	if code, _, stderr := runInitArgs(t, "--out", out); code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("second init: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runInitArgs(t, "--out", out, "--force"); code != 0 {
		t.Errorf("init --force: exit %d, %s", code, stderr)
	}
}

// TestInitFixtures compares init's config for each fixture host with
// testdata/init/<host>.yaml (-update rewrites them), checks the shape of
// phpfpm.instances, and loads the config once config knows that key.
func TestInitFixtures(t *testing.T) {
	for _, name := range []string{"debian", "rhel", "alpine"} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runInitArgs(t, "--root", filepath.Join(fixtures, name))
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			stdout = adminLine(stdout)
			golden.Check(t, filepath.Join("testdata", "init", name+".yaml"), []byte(stdout))
			var doc struct {
				PHPFPM struct {
					Instances []struct {
						Name, Version, Binary string
						MainConfig            string `yaml:"main_config"`
						PoolDir               string `yaml:"pool_dir"`
						SocketDir             string `yaml:"socket_dir"`
						Defaults              map[string]string
						Service               map[string]string
					}
					DefaultInstance string `yaml:"default_instance"`
				}
			}
			if err := yaml.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("not YAML: %v", err)
			}
			if len(doc.PHPFPM.Instances) < 2 || doc.PHPFPM.DefaultInstance == "" {
				t.Fatalf("phpfpm %+v, want several instances and a default", doc.PHPFPM)
			}
			for _, in := range doc.PHPFPM.Instances {
				if in.Name == "" || in.Binary == "" || in.MainConfig == "" || in.PoolDir == "" || in.Service["mode"] == "" {
					t.Errorf("instance %+v misses a key", in)
				}
			}
			if _, ok := reflect.TypeFor[config.PHPFPM]().FieldByName("Instances"); !ok {
				t.Skip("config has no phpfpm.instances yet: the shape is checked, loading waits for it")
			}
			path := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(stdout), 0o600)
			if _, err := config.Load(path); err != nil {
				t.Errorf("does not load: %v", err)
			}
		})
	}
}

// commentAt is the column of init's comments (hostscan's commentColumn).
const commentAt = 38

// adminLine makes the running user's name in rbac.bindings stable.
func adminLine(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "      local_users: [") {
			// The comment starts at a fixed column unless the name is long.
			user := "      local_users: [USER]"
			lines[i] = user + strings.Repeat(" ", max(commentAt-len(user), 1)) + "# who ran poolvisor init"
		}
	}
	return strings.Join(lines, "\n")
}

// TestInitSingleFixture is one PHP-FPM and a supervisord that includes
// only *.ini: the config loads, and new programs go to <name>.ini there.
func TestInitSingleFixture(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"usr/sbin/php-fpm83":           "#!/bin/sh\n",
		"etc/php83/php-fpm.conf":       "[global]\npid = /run/php-fpm83.pid\ninclude = /etc/php83/php-fpm.d/*.conf\n",
		"etc/php83/php-fpm.d/www.conf": "[www]\nuser = nobody\ngroup = nobody\nlisten = /run/php-fpm83/www.sock\n",
		"etc/supervisord.conf":         "[unix_http_server]\nfile=/run/supervisord.sock\n[supervisord]\nchildlogdir=/var/log/supervisor\n[include]\nfiles = supervisord.d/*.ini\n",
		"etc/supervisord.d/a.ini":      "[program:a]\ncommand=/bin/true\nuser=nobody\n[program:b]\ncommand=/bin/true\nuser=root\n",
		"etc/init.d/supervisord":       "command_args=\"-c /etc/supervisord.conf\"\n",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runInitArgs(t, "--root", root)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte(stdout), 0o600)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("does not load: %v\n%s", err, stdout)
	}
	if cfg.PHPFPM.Version != "8.3" || cfg.PHPFPM.Service.Mode != "signal" || cfg.PHPFPM.Service.PIDFile != "/run/php-fpm83.pid" ||
		cfg.PHPFPM.Defaults.User != "nobody" || cfg.PHPFPM.SocketDir != "/run/php-fpm83" {
		t.Errorf("phpfpm %+v", cfg.PHPFPM)
	}
	if cfg.Supervisor.ProgramDir != "/etc/supervisord.d" || cfg.Supervisor.URL != "unix:///run/supervisord.sock" {
		t.Errorf("supervisor %+v", cfg.Supervisor)
	}
	if !reflect.DeepEqual(cfg.Policy.ProgramUsers, []string{"nobody"}) {
		t.Errorf("program_users %v, want the non-root users of the programs found", cfg.Policy.ProgramUsers)
	}
	if !strings.Contains(stderr, "new programs: /etc/supervisord.d/<name>.ini") || strings.Contains(stderr, "<name>.conf") {
		t.Errorf("new programs are not said to be <name>.ini:\n%s", stderr)
	}
}

// TestInitSupervisorOnly is a host without PHP-FPM whose supervisord asks
// for a password: phpfpm is disabled, the password is asked for, never
// copied, and the config loads.
func TestInitSupervisorOnly(t *testing.T) {
	root := t.TempDir()
	conf := "[inet_http_server]\nport=127.0.0.1:9001\nusername=bot\npassword=hunter2\n" +
		"[supervisord]\nchildlogdir=/var/log/supervisor\n[include]\nfiles=conf.d/*.conf\n"
	for p, c := range map[string]string{
		"etc/supervisor/supervisord.conf": conf,
		"etc/supervisor/conf.d/w.conf":    "[program:w]\ncommand=/bin/true\nuser=root\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runInitArgs(t, "--root", root)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, "hunter2") {
		t.Fatalf("init copied supervisord's password:\n%s\n%s", stdout, stderr)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte(stdout), 0o600)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("does not load: %v\n%s", err, stdout)
	}
	if cfg.PHPFPM.Enabled || cfg.Supervisor.URL != "http://127.0.0.1:9001" || cfg.Supervisor.Username != "bot" {
		t.Errorf("phpfpm enabled %v, supervisor %+v", cfg.PHPFPM.Enabled, cfg.Supervisor)
	}
	for _, want := range []string{"no PHP-FPM installation found", "asks for a password", "w run as root"} {
		if !strings.Contains(stderr+stdout, want) {
			t.Errorf("output does not say %q:\n%s\n%s", want, stderr, stdout)
		}
	}
}

func TestInitFails(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing on the host", []string{"--root", filepath.Join(fixtures, "empty")}, 1, "no config was written"},
		{"stray argument", []string{"out.yaml"}, 2, "use --out FILE"},
		{"force without out", []string{"--force"}, 2, "--force needs --out"},
		{"unknown flag", []string{"--bogus"}, 2, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runInitArgs(t, tt.args...)
			if code != tt.code || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit %d and %q", code, stdout, stderr, tt.code, tt.want)
			}
		})
	}
}
