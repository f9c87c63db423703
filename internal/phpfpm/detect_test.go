package phpfpm

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/config"
)

func TestDetectDebianLayout(t *testing.T) {
	tests := []struct {
		name       string
		dirs, bins []string
		want       []string // versions, oldest first
		wantErr    string
	}{
		{name: "PPA versions side by side", dirs: []string{"7.4", "8.1", "8.3"}, bins: []string{"8.3", "7.4", "8.1"}, want: []string{"7.4", "8.1", "8.3"}},
		{name: "one version", dirs: []string{"8.2"}, bins: []string{"8.2"}, want: []string{"8.2"}},
		{name: "8.10 sorts after 8.9", dirs: []string{"8.10", "8.9"}, bins: []string{"8.10", "8.9"}, want: []string{"8.9", "8.10"}},
		{name: "a left-over pool dir does not count", dirs: []string{"8.1", "8.3"}, bins: []string{"8.1"}, want: []string{"8.1"}},
		{name: "pool dirs alone are packages removed", dirs: []string{"8.0", "8.2"}, wantErr: "no PHP-FPM installation found"},
		{name: "nothing installed", wantErr: "no PHP-FPM installation found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := fakeSystem(t, tt.dirs, tt.bins, "pid = /run/x.pid")
			got, err := detectUnder(hostRoot(sys))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []Installation
			for _, v := range tt.want {
				etc := filepath.Join(sys.etcPHP, v, "fpm")
				want = append(want, Installation{Name: v, Version: v, Binary: filepath.Join(sys.sbin, "php-fpm"+v),
					MainConfig: filepath.Join(etc, "php-fpm.conf"), PoolDir: filepath.Join(etc, "pool.d")}) // no unit file: no unit
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestResolveInstances(t *testing.T) {
	ppa := []string{"7.4", "8.1", "8.3"}
	tests := []struct {
		name       string
		dirs, bins []string
		mutate     func(*config.PHPFPM)
		wantNames  []string
		wantDef    string
		wantErrs   []string // per instance, "" for none
		wantErr    string
	}{
		{name: "auto finds every version", dirs: ppa, bins: ppa, wantNames: ppa, wantDef: "8.3", wantErrs: []string{"", "", ""}},
		{name: "one version is as before", dirs: []string{"8.2"}, bins: []string{"8.2"}, wantNames: []string{"8.2"}, wantDef: "8.2", wantErrs: []string{""}},
		{name: "default_instance picks a detected one", dirs: ppa, bins: ppa, mutate: func(c *config.PHPFPM) { c.DefaultInstance = "8.1" },
			wantNames: ppa, wantDef: "8.1", wantErrs: []string{"", "", ""}},
		{name: "default_instance not installed", dirs: ppa, bins: ppa, mutate: func(c *config.PHPFPM) { c.DefaultInstance = "8.2" },
			wantErr: "PHP 8.2 is not installed (found 7.4, 8.1, 8.3)"},
		{name: "pinned version is one instance", dirs: ppa, bins: ppa, mutate: func(c *config.PHPFPM) { c.Version = "8.1" },
			wantNames: []string{"8.1"}, wantDef: "8.1", wantErrs: []string{""}},
		{name: "nothing installed", wantErr: "no PHP-FPM installation found"},
		{name: "default_instance names another than the one", dirs: ppa, bins: ppa,
			mutate: func(c *config.PHPFPM) { c.Binary, c.DefaultInstance = "/opt/php-fpm8.1", "8.3" }, wantErr: `"8.3" names no instance; the one instance here is PHP 8.1`},
		{name: "instances, one broken", dirs: []string{"8.3"}, bins: []string{"8.3"}, mutate: func(c *config.PHPFPM) {
			c.Instances = []config.FPMInstance{
				{Name: "old", Version: "7.4", Binary: "auto", MainConfig: "auto", PoolDir: "auto", Service: config.FPMService{Mode: "signal", PIDFile: "auto"}},
				{Name: "8.3", Version: "8.3", Binary: "auto", MainConfig: "auto", PoolDir: "auto", Service: config.FPMService{Mode: "signal", PIDFile: "auto"}},
			}
			c.DefaultInstance = "8.3"
		}, wantNames: []string{"old", "8.3"}, wantDef: "8.3", wantErrs: []string{"phpfpm.instances[0] (old): phpfpm.service.pid_file", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := autoConfig()
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			sys := fakeSystem(t, tt.dirs, tt.bins, "pid = /run/x.pid")
			got, def, err := resolveInstances("web-01", c, sys, func() ([]Installation, error) { return detectUnder(hostRoot(sys)) })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if def != tt.wantDef {
				t.Errorf("default = %q, want %q", def, tt.wantDef)
			}
			if len(got) != len(tt.wantNames) {
				t.Fatalf("got %d instances, want %v", len(got), tt.wantNames)
			}
			for i, in := range got {
				if in.Name != tt.wantNames[i] {
					t.Errorf("instance %d name %q, want %q", i, in.Name, tt.wantNames[i])
				}
				if w := tt.wantErrs[i]; (w == "") != (in.Err == nil) || (w != "" && !strings.Contains(in.Err.Error(), w)) {
					t.Errorf("instance %s err = %v, want %q", in.Name, in.Err, w)
				}
				if in.Err == nil && (in.Config.PoolDir != filepath.Join(sys.etcPHP, in.Config.Version, "fpm", "pool.d") ||
					in.Config.Service.Unit != "php"+in.Config.Version+"-fpm") {
					t.Errorf("instance %s config %+v", in.Name, in.Config)
				}
			}
		})
	}
}

// TestResolveUsesDetector shows that the detector is the one seam: paths
// of another layout become the instance's paths.
func TestResolveUsesDetector(t *testing.T) {
	c := autoConfig()
	c.Service.Mode = "systemd"
	remi := Installation{Version: "8.3", Binary: "/opt/remi/php83/root/usr/sbin/php-fpm",
		MainConfig: "/etc/opt/remi/php83/php-fpm.conf", PoolDir: "/etc/opt/remi/php83/php-fpm.d", Unit: "php83-php-fpm"}
	got, def, err := resolveInstances("web-01", c, system{}, func() ([]Installation, error) { return []Installation{remi}, nil })
	if err != nil || def != "8.3" || len(got) != 1 {
		t.Fatalf("got %+v %q %v", got, def, err)
	}
	cfg := got[0].Config
	if cfg.Binary != remi.Binary || cfg.MainConfig != remi.MainConfig || cfg.PoolDir != remi.PoolDir || cfg.Service.Unit != remi.Unit {
		t.Errorf("config %+v", cfg)
	}
	_, _, err = resolveInstances("web-01", c, system{}, func() ([]Installation, error) { return nil, errors.New("boom") })
	if err == nil {
		t.Error("a failing detector gave no error")
	}
}

// hostRoot is the directory fakeSystem laid the host out in.
func hostRoot(sys system) string { return filepath.Dir(filepath.Dir(sys.etcPHP)) }

// TestDetectOtherLayouts: version: auto finds the installations of RHEL
// with Remi's collections and of Alpine too (hostscan's fixture hosts).
func TestDetectOtherLayouts(t *testing.T) {
	for host, want := range map[string][]string{
		"rhel":   {"8.0", "8.1", "8.3"},
		"alpine": {"8.2", "8.3"},
		"debian": {"7.4", "8.1", "8.3"},
	} {
		root := filepath.Join("..", "hostscan", "testdata", "hosts", host)
		got, err := detectUnder(root)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		var names []string
		for _, in := range got {
			names = append(names, in.Name)
			if !strings.HasPrefix(in.MainConfig, root) || !strings.HasPrefix(in.Binary, root) {
				t.Errorf("%s: %+v has paths outside the host", host, in)
			}
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("%s: instances %v, want %v", host, names, want)
		}
	}
}
