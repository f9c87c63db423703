package hostscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree writes files (host path -> content) under a new root; a file under
// an sbin or bin directory is made executable.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.Contains(p, "bin/") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const fpmVersion81 = "#!/bin/sh\necho 'PHP 8.1.29 (fpm-fcgi) (built: Jun  5 2024)'\n"

func TestPHPFPMNamesAreUnique(t *testing.T) {
	root := tree(t, map[string]string{
		"/usr/sbin/php-fpm":                             fpmVersion81,
		"/etc/php-fpm.conf":                             "[global]\npid = /run/php-fpm/php-fpm.pid\ninclude=/etc/php-fpm.d/*.conf\n",
		"/etc/php-fpm.d/www.conf":                       "[www]\nuser = apache\nlisten = /run/php-fpm/www.sock\n",
		"/opt/remi/php81/root/usr/sbin/php-fpm":         "#!/bin/sh\nexit 1\n",
		"/etc/opt/remi/php81/php-fpm.conf":              "[global]\npid = run/php-fpm/php-fpm.pid\ninclude=/etc/opt/remi/php81/php-fpm.d/*.conf\n",
		"/etc/opt/remi/php81/php-fpm.d/www.conf":        "[www]\nuser = apache\n",
		"/usr/lib/systemd/system/php-fpm.service":       "[Service]\n",
		"/usr/lib/systemd/system/php81-php-fpm.service": "[Service]\n",
	})
	ins, problems := PHPFPM(root)
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.Name+"="+in.Version+"/"+in.Service.Mode)
	}
	// No /run/systemd/system: systemd does not run this tree, so both
	// installations are signalled through the pid files their configs name.
	if got, want := strings.Join(names, " "), "8.1=8.1/signal remi-8.1=8.1/signal"; got != want {
		t.Errorf("installations %q, want %q", got, want)
	}
	if got, want := ins[1].Service.PIDFile, "/var/opt/remi/php81/run/php-fpm/php-fpm.pid"; got != want {
		t.Errorf("Remi's relative pid resolves to %q, want %q (relative to its state dir)", got, want)
	}
	if ins[0].DefaultUser != "apache" || ins[0].DefaultGroup != "apache" {
		t.Errorf("defaults %s:%s, want apache:apache (a pool without group= runs as its user's group)", ins[0].DefaultUser, ins[0].DefaultGroup)
	}
}

func TestPHPFPMWithoutPIDOrUnit(t *testing.T) {
	root := tree(t, map[string]string{
		"/usr/sbin/php-fpm84":         "#!/bin/sh\nexit 1\n",
		"/etc/php84/php-fpm.conf":     "[global]\ninclude=/etc/php84/php-fpm.d/*.conf\n",
		"/etc/php84/php-fpm.d/a.conf": "[a]\nuser = nobody\nlisten = /run/php-fpm84/a.sock\n",
	})
	ins, problems := PHPFPM(root)
	if len(ins) != 1 || ins[0].Version != "8.4" || ins[0].Service.Mode != "" {
		t.Fatalf("installations %+v", ins)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Fix, "pid = /run/php-fpm84.pid") {
		t.Errorf("problems %v, want one that says which pid to set", problems)
	}
}

func TestPHPFPMUnknownVersion(t *testing.T) {
	root := tree(t, map[string]string{
		"/usr/sbin/php-fpm":       "#!/bin/sh\necho 'not php'\n",
		"/etc/php-fpm.conf":       "[global]\npid = /run/php-fpm/php-fpm.pid\ninclude=/etc/php-fpm.d/*.conf\n",
		"/etc/php-fpm.d/www.conf": "[www]\nuser = apache\n",
	})
	ins, problems := PHPFPM(root)
	if len(ins) != 1 || ins[0].Version != "" || ins[0].Name != "rhel" {
		t.Fatalf("installations %+v", ins)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].What, "cannot tell the PHP version of /usr/sbin/php-fpm") {
		t.Errorf("problems %v", problems)
	}
}

func TestSupervisorSearchPath(t *testing.T) {
	main := "[supervisord]\nchildlogdir=/var/log/supervisor\n[unix_http_server]\nfile=/run/supervisor.sock\n[include]\nfiles=conf.d/*.conf\n"
	root := tree(t, map[string]string{
		"/usr/local/bin/supervisord":        "#!/bin/sh\n",
		"/usr/local/etc/supervisord.conf":   main,
		"/etc/supervisord.conf":             main,
		"/etc/supervisor/supervisord.conf":  main,
		"/usr/local/etc/conf.d/a.conf":      "[program:a]\ncommand=/bin/true\n",
		"/etc/supervisor.conf":              main, // not on supervisord's list
		"/etc/systemd/system/other.service": "ExecStart=/usr/bin/supervisord -c /etc/supervisor.conf\n",
	})
	l := Scan(root)
	s := l.Supervisor
	if s == nil || s.ConfigFile != "/usr/local/etc/supervisord.conf" || s.FoundBy != "supervisord's search path" {
		t.Fatalf("supervisor %+v, want pip's /usr/local/etc/supervisord.conf first", s)
	}
	if s.ProgramDir != "/usr/local/etc/conf.d" || len(s.Files) != 1 || s.Files[0].Programs[0].Name != "a" {
		t.Errorf("includes resolve against the config's own directory: %+v", s)
	}
	if len(l.Notes) < 2 || !strings.Contains(l.Notes[0], "/etc/supervisord.conf also exists") ||
		!strings.Contains(l.Notes[1], "/etc/supervisor/supervisord.conf also exists") {
		t.Errorf("notes %q, want the two other candidates", l.Notes)
	}
}

func TestSupervisorServiceConfigMissing(t *testing.T) {
	root := tree(t, map[string]string{
		"/etc/systemd/system/supervisord.service": "[Service]\nExecStart=/usr/bin/supervisord --configuration=/srv/supervisord.conf\n",
	})
	l := Scan(root)
	if l.Supervisor == nil || l.Supervisor.ConfigFile != "/srv/supervisord.conf" {
		t.Fatalf("supervisor %+v, want the service's --configuration", l.Supervisor)
	}
	if len(l.Problems) == 0 || !strings.Contains(l.Problems[0].What, "cannot read /srv/supervisord.conf") {
		t.Errorf("problems %v", l.Problems)
	}
}

// TestPHPFPMLocalPrefix is PHP built under /usr/local, as in Docker's php
// images: its include is relative, so it resolves against /usr/local.
func TestPHPFPMLocalPrefix(t *testing.T) {
	root := tree(t, map[string]string{
		"/usr/local/sbin/php-fpm":                 "#!/bin/sh\necho 'PHP 8.3.14 (fpm-fcgi) (built: Nov 21 2024)'\n",
		"/usr/local/etc/php-fpm.conf":             "[global]\npid = run/php-fpm.pid\ninclude=etc/php-fpm.d/*.conf\n",
		"/usr/local/etc/php-fpm.d/www.conf":       "[www]\nuser = www-data\ngroup = www-data\nlisten = 127.0.0.1:9000\n",
		"/usr/local/etc/php-fpm.d/zz-docker.conf": "[global]\ndaemonize = no\n[www]\nlisten = 9000\n",
	})
	ins, problems := PHPFPM(root)
	if len(problems) != 0 || len(ins) != 1 {
		t.Fatalf("installations %+v, problems %v", ins, problems)
	}
	in := ins[0]
	if in.Version != "8.3" || in.PoolDir != "/usr/local/etc/php-fpm.d" || in.Service.PIDFile != "/usr/local/var/run/php-fpm.pid" {
		t.Errorf("installation %+v", in)
	}
	// zz-docker.conf's [www] configures the same pool further.
	if len(in.Pools) != 1 || in.Pools[0].Listen != "9000" || in.Pools[0].File != "/usr/local/etc/php-fpm.d/www.conf" ||
		len(in.Pools[0].MoreFiles) != 1 {
		t.Errorf("installation %+v", in)
	}
}

func TestPHPFPMLinkIsNoInstallation(t *testing.T) {
	root := tree(t, map[string]string{
		"/usr/sbin/php-fpm8.2":             "#!/bin/sh\n",
		"/etc/php/8.2/fpm/php-fpm.conf":    "[global]\npid = /run/php/php8.2-fpm.pid\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
		"/etc/php/8.2/fpm/pool.d/www.conf": "[www]\nuser = www-data\n",
	})
	if err := os.Symlink("/usr/sbin/php-fpm8.2", filepath.Join(root, "usr/sbin/php-fpm")); err != nil {
		t.Fatal(err)
	}
	ins, problems := PHPFPM(root)
	if len(ins) != 1 || ins[0].Flavor != "debian" || len(problems) != 0 {
		t.Errorf("installations %+v, problems %v; want only Debian's 8.2", ins, problems)
	}
}

func TestSupervisorDropInWins(t *testing.T) {
	main := "[supervisord]\nchildlogdir=/var/log/supervisor\n[unix_http_server]\nfile=/run/supervisor.sock\n"
	root := tree(t, map[string]string{
		"/lib/systemd/system/supervisor.service":                  "[Service]\nExecStart=/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf\n",
		"/etc/systemd/system/supervisor.service.d/10-config.conf": "[Service]\nExecStart=\nExecStart=/usr/bin/supervisord -n -c /srv/ops/supervisord.conf\n",
		"/etc/systemd/system/supervisor.service.d/05-limits.conf": "[Service]\nLimitNOFILE=65536\n",
		"/etc/supervisor/supervisord.conf":                        main,
		"/srv/ops/supervisord.conf":                               main,
	})
	s := Scan(root).Supervisor
	if s == nil || s.ConfigFile != "/srv/ops/supervisord.conf" || !strings.Contains(s.FoundBy, "10-config.conf") {
		t.Errorf("supervisor %+v, want the drop-in's -c", s)
	}
}

func TestSupervisorURL(t *testing.T) {
	tests := []struct {
		name, conf, url string
		password        bool
		problem         string
	}{
		{"unix socket", "[unix_http_server]\nfile=/run/supervisor.sock\n", "unix:///run/supervisor.sock", false, ""},
		{"unix wins over inet", "[inet_http_server]\nport=127.0.0.1:9001\n[unix_http_server]\nfile=%(here)s/s.sock\n", "unix:///etc/supervisor/s.sock", false, ""},
		{"every interface", "[inet_http_server]\nport=*:9001\nusername=u\npassword=p\n", "http://127.0.0.1:9001", true, ""},
		{"port alone", "[inet_http_server]\nport=9001\n", "http://127.0.0.1:9001", false, ""},
		{"ipv6 loopback", "[inet_http_server]\nport=[::1]:9001\n", "http://[::1]:9001", false, ""},
		{"environment", "[unix_http_server]\nfile=%(ENV_RUN)s/s.sock\n", "", false, "is no absolute path"},
		{"no server", "[supervisord]\n", "", false, "starts no XML-RPC server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ini, err := parseINI(tt.conf, pythonINI)
			if err != nil {
				t.Fatal(err)
			}
			h := newHost(t.TempDir())
			s := &Supervisor{ConfigFile: "/etc/supervisor/supervisord.conf"}
			h.supervisorURL(s, ini, "/etc/supervisor", "web-01")
			if s.URL != tt.url || s.HasPassword != tt.password {
				t.Errorf("URL %q, password %v; want %q, %v", s.URL, s.HasPassword, tt.url, tt.password)
			}
			got := ""
			if len(h.problems) > 0 {
				got = h.problems[0].What
			}
			if (tt.problem == "") != (got == "") || !strings.Contains(got, tt.problem) {
				t.Errorf("problems %v, want one with %q", h.problems, tt.problem)
			}
		})
	}
}
