package hostscan

import (
	"reflect"
	"testing"
)

func TestParseINI(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		d       dialect
		section string
		key     string
		want    string
	}{
		{"python inline comment after blank", "[a]\nfile=/x.sock ; the socket\n", pythonINI, "a", "file", "/x.sock"},
		{"python ; without blank is kept", "[a]\ncommand=echo a;b\n", pythonINI, "a", "command", "echo a;b"},
		{"python colon delimiter", "[a]\nport: 9001\n", pythonINI, "a", "port", "9001"},
		{"python keys are lower-cased", "[a]\nFiles = x\n", pythonINI, "a", "files", "x"},
		{"python continuation lines", "[include]\nfiles = a/*.conf\n  b/*.ini ; two\n", pythonINI, "include", "files", "a/*.conf\nb/*.ini"},
		{"python hash comment line", "[a]\n# files = no\nfiles = yes\n", pythonINI, "a", "files", "yes"},
		{"python sections merge", "[a]\nx=1\n[b]\n[a]\ny=2\n", pythonINI, "a", "x", "1"},
		{"php double quotes keep ;", "[www]\nlisten = \"/run/a;b.sock\" ; c\n", phpINI, "www", "listen", "/run/a;b.sock"},
		{"php single quotes", "[www]\nuser = 'web'\n", phpINI, "www", "user", "web"},
		{"php comment ends a bare value", "[www]\nuser = web;comment\n", phpINI, "www", "user", "web"},
		{"php key before a section is global", "include=/etc/php-fpm.d/*.conf\n[global]\n", phpINI, "global", "include", "/etc/php-fpm.d/*.conf"},
		{"php array keys", "[www]\nphp_admin_value[error_log] = /var/log/x.log\n", phpINI, "www", "php_admin_value[error_log]", "/var/log/x.log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseINI(tt.text, tt.d)
			if err != nil {
				t.Fatal(err)
			}
			sec := f.section(tt.section)
			if sec == nil {
				t.Fatalf("no section %q", tt.section)
			}
			if got, _ := sec.get(tt.key); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestParseINIErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unclosed header":        "[program:x\ncommand=a\n",
		"key before a section":   "command=a\n",
		"neither key nor header": "[a]\njust words\n",
	} {
		if _, err := parseINI(text, pythonINI); err == nil {
			t.Errorf("%s: parsed %q", name, text)
		}
	}
}

func TestExpandPython(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"%(here)s/conf.d/*.conf", "/etc/supervisor/conf.d/*.conf", true},
		{"/run/%(host_node_name)s.sock", "/run/web-01.sock", true},
		{"100%%", "100%", true},
		{"%(ENV_HOME)s/x", "%(ENV_HOME)s/x", false},
		{"50%", "50%", false},
	}
	for _, tt := range tests {
		got, ok := expandPython(tt.in, "/etc/supervisor", "web-01")
		if got != tt.want || ok != tt.ok {
			t.Errorf("expandPython(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGlobDir(t *testing.T) {
	tests := []struct {
		glob, dir, ext string
		ok             bool
	}{
		{"/etc/supervisor/conf.d/*.conf", "/etc/supervisor/conf.d", ".conf", true},
		{"/etc/supervisord.d/*.ini", "/etc/supervisord.d", ".ini", true},
		{"/etc/php-fpm.d/*", "/etc/php-fpm.d", "", true},
		{"/etc/php/*/fpm/pool.d/*.conf", "/etc/php/*/fpm/pool.d", "", false},
		{"/etc/supervisor/conf.d/web-*.conf", "/etc/supervisor/conf.d", "", false},
		{"/etc/supervisor/extra.conf", "/etc/supervisor", "", false},
	}
	for _, tt := range tests {
		dir, ext, ok := globDir(tt.glob)
		if !reflect.DeepEqual([]any{dir, ext, ok}, []any{tt.dir, tt.ext, tt.ok}) {
			t.Errorf("globDir(%q) = %q, %q, %v; want %q, %q, %v", tt.glob, dir, ext, ok, tt.dir, tt.ext, tt.ok)
		}
	}
}
