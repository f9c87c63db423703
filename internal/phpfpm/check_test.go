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

func TestStagedMainConfig(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "php-fpm.conf")
	tests := []struct {
		name, text, want, wantErr string
	}{
		{
			name: "debian layout",
			text: "; comment\n[global]\npid = /run/php/php8.2-fpm.pid\nerror_log = /var/log/php8.2-fpm.log\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
			want: "; comment\n[global]\npid = /run/php/php8.2-fpm.pid\nerror_log = /stage/log\ninclude = \"/stage/pool.d/*.conf\"\n",
		},
		{
			name: "no error_log: one is added to [global]",
			text: "[global]\npid = run/x.pid\ninclude = /etc/php/8.2/fpm/pool.d/*.conf\ninclude = /etc/other/*.conf\n",
			want: "[global]\nerror_log = /stage/log\npid = run/x.pid\ninclude = \"/stage/pool.d/*.conf\"\ninclude = /etc/other/*.conf\n",
		},
		{
			name:    "pool dir not included",
			text:    "[global]\ninclude = /etc/other/*.conf\n",
			wantErr: "includes no files from the pool dir",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(main, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := readMainConfig(main)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.staged("/etc/php/8.2/fpm/pool.d", "/stage/pool.d", "/stage/log")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("got (%v):\n%s\nwant:\n%s", err, got, tt.want)
			}
		})
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
	if !m.includesDir("/usr/etc/pool.d/") {
		t.Error("includesDir")
	}
}
