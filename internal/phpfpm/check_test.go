package phpfpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestErrors(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{
			name: "syntax error placed in its file and line",
			out: "PHP:  syntax error, unexpected '=' in Unknown on line 1\n" +
				"[26-Nov-2026 12:49:35] ERROR: Unable to include /p/b.conf from /m/php-fpm.conf at line 24\n" +
				"[26-Nov-2026 12:49:35] ERROR: failed to load configuration file '/m/php-fpm.conf'\n" +
				"[26-Nov-2026 12:49:35] ERROR: FPM initialization failed\n",
			want: "ERROR: /p/b.conf line 24: syntax error, unexpected '='",
		},
		{
			name: "rule broken",
			out: "[26-Nov-2026 12:51:07] ALERT: [pool c] pm.min_spare_servers(0) must be a positive value\n" +
				"[26-Nov-2026 12:51:07] ERROR: failed to post process the configuration\n" +
				"[26-Nov-2026 12:51:07] ERROR: FPM initialization failed\n",
			want: "ALERT: [pool c] pm.min_spare_servers(0) must be a positive value",
		},
		{
			name: "directive error not repeated by the include line",
			out: "[26-Nov-2026 12:51:07] ERROR: [/p/a.conf:17] unable to parse value for entry 'rlimit_core'\n" +
				"[26-Nov-2026 12:51:07] ERROR: Unable to include /p/a.conf from /m at line 17\n",
			want: "ERROR: [/p/a.conf:17] unable to parse value for entry 'rlimit_core'",
		},
		{name: "nothing recognisable", out: "segfault\n", want: "segfault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testErrors([]byte(tt.out)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStagedConfig: php-fpm -t reads staged copies of the main config and
// of every file it includes, in the same order, with the change applied.
func TestStagedConfig(t *testing.T) {
	dir, stage := t.TempDir(), t.TempDir()
	main := filepath.Join(dir, "php-fpm.conf")
	pools := filepath.Join(dir, "pool.d")
	if err := os.Mkdir(pools, 0o755); err != nil {
		t.Fatal(err)
	}
	text := "; comment\n[global]\nerror_log = /var/log/php8.2-fpm.log\ninclude=" + pools + "/*.conf\n\n[www] ; in the main config\nlisten = /run/www.sock\n"
	write := func(path, data string) {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(main, text)
	write(filepath.Join(pools, "a.conf"), "[a]\n")
	write(filepath.Join(pools, "b.conf"), "[b]\n")
	write(filepath.Join(pools, "notes.txt"), "not included\n")
	st := newStager(stage, map[string][]byte{
		filepath.Join(pools, "a.conf"): nil, filepath.Join(pools, "c.conf"): []byte("[c]\n"),
		main: []byte(strings.Replace(text, "/run/www.sock", "/run/www2.sock", 1)),
	})
	staged, err := st.stageMain(main, filepath.Join(stage, "log"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(staged)
	want := "; comment\n[global]\nerror_log = " + stage + "/log\ninclude = " + stage + "/1/b.conf\ninclude = " + stage + "/2/c.conf\n\n[www] ; in the main config\nlisten = /run/www2.sock\n"
	if string(got) != want {
		t.Errorf("staged main config:\n%s\nwant:\n%s", got, want)
	}
	if c, _ := os.ReadFile(filepath.Join(stage, "2", "c.conf")); string(c) != "[c]\n" {
		t.Errorf("staged c.conf = %q", c)
	}
	if live, _ := os.ReadFile(main); string(live) != text {
		t.Error("the live main config changed")
	}
}

func TestReadMainConfig(t *testing.T) {
	main := filepath.Join(t.TempDir(), "php-fpm.conf")
	text := "[global]\npid = run/php-fpm.pid\nerror_log = syslog\ninclude = etc/pool.d/*.conf\n[www]\npid = /not/global\n"
	if err := os.WriteFile(main, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readMainConfig(main)
	if err != nil {
		t.Fatal(err)
	}
	if m.pidFile != "/var/run/php-fpm.pid" || m.errorLog != "syslog" || len(m.includes) != 1 || m.includes[0] != "/usr/etc/pool.d/*.conf" {
		t.Errorf("got pid %q, log %q, includes %v", m.pidFile, m.errorLog, m.includes)
	}
}
