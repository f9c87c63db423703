package phpfpm

import (
	"os"
	"strings"
	"testing"
)

func TestCheckProcessManager(t *testing.T) {
	dyn := func(kv ...string) map[string]string {
		m := map[string]string{"pm": "dynamic", "pm.max_children": "5", "pm.min_spare_servers": "1", "pm.max_spare_servers": "3"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		d    map[string]string
		want string // "" means no problem
	}{
		{"dynamic ok, start defaults to the middle", dyn(), ""},
		{"start below min", dyn("pm.start_servers", "0", "pm.min_spare_servers", "1"), "pm.start_servers (0) must be between"},
		{"start above max", dyn("pm.start_servers", "4"), "pm.start_servers (4) must be between"},
		{"max below min", dyn("pm.min_spare_servers", "3", "pm.max_spare_servers", "2", "pm.start_servers", "2"), "pm.max_spare_servers (2) must be at least"},
		{"spares over children", dyn("pm.max_spare_servers", "6", "pm.start_servers", "2"), "must not exceed pm.max_children (5)"},
		{"min spare zero", dyn("pm.min_spare_servers", "0"), "pm.min_spare_servers must be 1 or more"},
		{"no pm", map[string]string{}, "pm is not set"},
		{"no children", map[string]string{"pm": "static"}, "pm.max_children must be set"},
		{"static ignores spares", map[string]string{"pm": "static", "pm.max_children": "2", "pm.max_spare_servers": "9"}, ""},
		{"ondemand default idle", map[string]string{"pm": "ondemand", "pm.max_children": "2"}, ""},
		{"ondemand idle zero", map[string]string{"pm": "ondemand", "pm.max_children": "2", "pm.process_idle_timeout": "0s"}, "more than 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(checkProcessManager(tt.d), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckValueFormat(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		key, value, want string
	}{
		{"pm", "static", ""},
		{"pm", "Static", "not a process manager"},
		{"pm.max_children", "5x", "not a whole number"},
		{"pm.process_idle_timeout", "10s", ""},
		{"pm.process_idle_timeout", "10 s", "not a duration"},
		{"catch_workers_output", "yes", ""},
		{"catch_workers_output", "maybe", "not yes or no"},
		{"listen", dir + "/x.sock", ""},
		{"listen", dir + "/missing/x.sock", "does not exist"},
		{"listen", "127.0.0.1:9000", ""},
		{"listen", "[::1]:9000", ""},
		{"listen", "localhost:9000", "not an IP address"},
		{"listen", "127.0.0.1:70000", "port must be"},
		{"listen", "x.sock", "neither an absolute socket path"},
		{"listen.mode", "0660", ""},
		{"listen.mode", "660", ""},
		{"listen.mode", "0999", "octal"},
		{"listen.owner", "root", ""},
		{"listen.owner", "no-such-user-here", "no such user"},
		{"listen.group", "no-such-group-here", "no such group"},
		{"ping.path", "/ping", ""},
		{"ping.path", "ping", "must start with '/'"},
		{"php_value[anything]", "at all", ""},
	}
	for _, tt := range tests {
		got := checkValueFormat(tt.key, tt.value)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkValueFormat(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
}

func TestValidatePoolListenAndIdentity(t *testing.T) {
	others := []poolEntry{
		{name: "www", file: "/p/www.conf", directives: map[string]string{"listen": "/run/php/$pool.sock"}},
		{name: "tcp", file: "/p/tcp.conf", directives: map[string]string{"listen": "0.0.0.0:9000"}},
	}
	base := func(listen, user string) candidate {
		return candidate{name: "api", changed: map[string]bool{}, directives: map[string]string{
			"pm": "static", "pm.max_children": "1", "listen": listen, "user": user, "group": "nogroup"}}
	}
	tests := []struct {
		name, listen, user, want string
	}{
		{"free socket", "/run/php/api.sock", "nobody", ""},
		{"$pool expands to the other pool's socket", "/run/php/www.sock", "nobody", "already used by pool www"},
		{"wildcard clashes with a specific address", "127.0.0.1:9000", "nobody", "already used by pool tcp"},
		{"other port", "127.0.0.1:9001", "nobody", ""},
		{"root", "/run/php/api.sock", "root", "is root"},
		{"missing listen", "", "nobody", "listen is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validatePool(base(tt.listen, tt.user), others)
			if tt.want == "" {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if os.Geteuid() == 0 {
		c := base("/run/php/api.sock", "")
		if err := validatePool(c, nil); err == nil || !strings.Contains(err.Error(), "user is not set") {
			t.Errorf("no user as root: %v", err)
		}
	}
}

func TestParseListen(t *testing.T) {
	tests := []struct {
		v, pool, network, addr string
		wantErr                bool
	}{
		{"/run/php/$pool.sock", "api", "unix", "/run/php/api.sock", false},
		{"9000", "", "tcp", "127.0.0.1:9000", false},
		{"0.0.0.0:9000", "", "tcp", "127.0.0.1:9000", false},
		{"[::]:9000", "", "tcp", "[::1]:9000", false},
		{"10.0.0.5:9000", "", "tcp", "10.0.0.5:9000", false},
		{"", "", "", "", true},
		{"0", "", "", "", true},
		{"host:80", "", "", "", true},
	}
	for _, tt := range tests {
		a, err := parseListen(tt.v, tt.pool)
		if tt.wantErr != (err != nil) || (err == nil && (a.network != tt.network || a.addr != tt.addr)) {
			t.Errorf("parseListen(%q) = %+v, %v", tt.v, a, err)
		}
	}
}
