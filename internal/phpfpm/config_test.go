package phpfpm

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/config"
)

// fakeSystem lays out /etc/php and /usr/sbin under a temporary dir: pool
// dirs for dirVersions, binaries for binVersions, and a main config for
// each pool dir whose pid line is pid.
func fakeSystem(t *testing.T, dirVersions, binVersions []string, pid string) system {
	t.Helper()
	root := t.TempDir()
	sys := system{etcPHP: filepath.Join(root, "etc", "php"), sbin: filepath.Join(root, "usr", "sbin")}
	for _, v := range dirVersions {
		dir := filepath.Join(sys.etcPHP, v, "fpm")
		if err := os.MkdirAll(filepath.Join(dir, "pool.d"), 0o755); err != nil {
			t.Fatal(err)
		}
		// As on a real host, the include names the host's path.
		main := "[global]\n" + pid + "\ninclude=/etc/php/" + v + "/fpm/pool.d/*.conf\n"
		if err := os.WriteFile(filepath.Join(dir, "php-fpm.conf"), []byte(main), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(sys.sbin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range binVersions {
		if err := os.WriteFile(filepath.Join(sys.sbin, "php-fpm"+v), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

func autoConfig() config.PHPFPM {
	return config.PHPFPM{
		Version: "auto", Binary: "auto", MainConfig: "auto", PoolDir: "auto", SocketDir: "/run/php",
		ProtectedPools: []string{"www"}, Defaults: config.PoolDefaults{User: "www-data", Group: "www-data"},
		Service: config.FPMService{Mode: "signal", Unit: "auto", PIDFile: "auto"},
	}
}

func TestFromConfig(t *testing.T) {
	tests := []struct {
		name        string
		dirs, bins  []string
		pid         string
		mutate      func(*config.PHPFPM)
		wantVersion string
		wantPID     string // absolute, or "" for none
		wantErr     string
	}{
		{name: "newest binary wins", dirs: []string{"7.4", "8.1", "8.2"}, bins: []string{"7.4", "8.2", "8.1"},
			pid: "pid = /run/php/php8.2-fpm.pid", wantVersion: "8.2", wantPID: "/run/php/php8.2-fpm.pid"},
		{name: "8.10 is newer than 8.9", dirs: []string{"8.9", "8.10"}, bins: []string{"8.9", "8.10"},
			pid: "pid = /run/x.pid", wantVersion: "8.10", wantPID: "/run/x.pid"},
		{name: "a left-over pool dir does not count", dirs: []string{"8.1", "8.3"}, bins: []string{"8.1"},
			pid: "pid = /run/x.pid", wantVersion: "8.1", wantPID: "/run/x.pid"},
		{name: "pool dirs alone", dirs: []string{"8.0", "8.2"}, pid: "pid = /run/x.pid", wantVersion: "8.2", wantPID: "/run/x.pid"},
		{name: "relative pid resolves against /var", dirs: []string{"8.2"}, bins: []string{"8.2"},
			pid: "pid = run/php-fpm.pid", wantVersion: "8.2", wantPID: "/var/run/php-fpm.pid"},
		{name: "no pid in the main config", dirs: []string{"8.2"}, bins: []string{"8.2"},
			mutate: func(c *config.PHPFPM) { c.Service.Mode = "systemd" }, wantVersion: "8.2", wantPID: ""},
		{name: "no pid in signal mode", dirs: []string{"8.2"}, bins: []string{"8.2"}, wantErr: "no pid directive"},
		{name: "pinned version", dirs: []string{"8.1", "8.2"}, bins: []string{"8.1", "8.2"}, pid: "pid = /run/x.pid",
			mutate: func(c *config.PHPFPM) { c.Version = "8.1" }, wantVersion: "8.1", wantPID: "/run/x.pid"},
		{name: "explicit binary names the version", dirs: []string{"8.2", "7.4"}, pid: "pid = /run/x.pid",
			mutate: func(c *config.PHPFPM) { c.Binary = "/opt/php/sbin/php-fpm7.4" }, wantVersion: "7.4", wantPID: "/run/x.pid"},
		{name: "explicit pid file", dirs: []string{"8.2"}, bins: []string{"8.2"},
			mutate: func(c *config.PHPFPM) { c.Service.PIDFile = "/run/mine.pid" }, wantVersion: "8.2", wantPID: "/run/mine.pid"},
		{name: "nothing installed", wantErr: "found no PHP-FPM"},
		{name: "signal mode without main config", bins: []string{"8.2"}, wantErr: "phpfpm.service.pid_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := autoConfig()
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			sys := fakeSystem(t, tt.dirs, tt.bins, tt.pid)
			got, err := fromConfig("web-01", c.Single(), sys)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := tt.wantVersion
			etc := filepath.Join(sys.etcPHP, v, "fpm")
			wantPID := tt.wantPID
			if got.Version != v || got.MainConfig != filepath.Join(etc, "php-fpm.conf") || got.PoolDir != filepath.Join(etc, "pool.d") ||
				got.Service.Unit != "php"+v+"-fpm" || got.Service.PIDFile != wantPID || got.Host != "web-01" {
				t.Errorf("got %+v\nwant version %s, pid %q", got, v, wantPID)
			}
			if c.Binary == "auto" && got.Binary != filepath.Join(sys.sbin, "php-fpm"+v) {
				t.Errorf("binary = %s", got.Binary)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	base := Config{Binary: "/usr/sbin/php-fpm8.2", MainConfig: "/etc/php/8.2/fpm/php-fpm.conf", PoolDir: "/etc/php/8.2/fpm/pool.d",
		SocketDir: "/run/php", DefaultUser: "www-data", DefaultGroup: "www-data", Service: ServiceConfig{Mode: "systemd", Unit: "php8.2-fpm"}}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"ok", func(*Config) {}, ""},
		{"relative pool dir", func(c *Config) { c.PoolDir = "pool.d" }, "pool dir"},
		{"no default user", func(c *Config) { c.DefaultUser = "" }, "default user"},
		{"bad mode", func(c *Config) { c.Service.Mode = "init" }, "service mode"},
		{"command without reload", func(c *Config) { c.Service = ServiceConfig{Mode: "command"} }, "reload command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mutate(&c)
			b, err := New(c, nil)
			if tt.wantErr == "" {
				if err != nil || b.Config().CallTimeout == 0 || b.Config().ReloadTimeout == 0 {
					t.Fatalf("New: %v", err)
				}
				// Every fpm.* operation of the catalog but the history and
				// rollback, which the app adds (versioned).
				var want []string
				for _, o := range catalog.Operations {
					if o.Owner == catalog.OwnerFPM && o.Name != PoolOps.History && o.Name != PoolOps.Rollback {
						want = append(want, o.Name)
					}
				}
				if got := slices.Sorted(maps.Keys(b.Handlers())); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
					t.Errorf("handlers %v, want %v", got, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
