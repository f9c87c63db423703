package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestFPMInstances(t *testing.T) {
	cleanEnv(t)
	c := mustLoad(t, "phpfpm:\n  instances:\n    - {name: legacy, version: '7.4', pool_dir: /srv/74/pool.d}\n"+
		"    - {version: '8.3', service: {mode: signal}}\n  default_instance: legacy\n")
	def := defaultPHPFPM().Single()
	want := []FPMInstance{
		{Name: "legacy", Version: "7.4", Binary: "auto", MainConfig: "auto", PoolDir: "/srv/74/pool.d",
			SocketDir: def.SocketDir, LogDir: def.LogDir, HelperDir: def.HelperDir, ProtectedPools: []string{"www"}, Defaults: def.Defaults, Service: def.Service},
		{Name: "8.3", Version: "8.3", Binary: "auto", MainConfig: "auto", PoolDir: "auto",
			SocketDir: def.SocketDir, LogDir: def.LogDir, HelperDir: def.HelperDir, ProtectedPools: []string{"www"}, Defaults: def.Defaults,
			Service: FPMService{Mode: "signal", Unit: "auto", PIDFile: "auto"}},
	}
	if !reflect.DeepEqual(c.PHPFPM.Instances, want) {
		t.Errorf("instances\n got %+v\nwant %+v", c.PHPFPM.Instances, want)
	}
	if c.PHPFPM.DefaultInstance != "legacy" {
		t.Errorf("default_instance = %q", c.PHPFPM.DefaultInstance)
	}
}

func TestFPMInstancesRefused(t *testing.T) {
	two := "phpfpm:\n  instances:\n    - {version: '7.4'}\n    - {version: '8.3'}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"duplicate name", "phpfpm:\n  instances:\n    - {version: '8.3'}\n    - {name: '8.3', version: '8.1'}\n  default_instance: '8.3'\n",
			[]string{`phpfpm.instances[1].name: "8.3" is already the name of phpfpm.instances[0]`}},
		{"bad name", "phpfpm:\n  instances:\n    - {name: 'a b', version: '8.3'}\n", []string{"phpfpm.instances[0].name", "not a valid name"}},
		{"auto needs a name", "phpfpm:\n  instances:\n    - {binary: /opt/php/sbin/php-fpm}\n", []string{"phpfpm.instances[0].name: is required when version is auto"}},
		{"several need a default", two, []string{"phpfpm.default_instance: is required when there are several instances", `["7.4" "8.3"]`}},
		{"default names none", two + "  default_instance: '8.2'\n", []string{`phpfpm.default_instance: "8.2" is not the name of an instance`}},
		{"both forms", two + "  default_instance: '8.3'\n  version: '8.3'\n  pool_dir: /x\n",
			[]string{"phpfpm.instances: is set together with [phpfpm.version phpfpm.pool_dir]", "inside each instance"}},
		{"instance keys checked", "phpfpm:\n  instances:\n    - {version: '8', socket_dir: run, service: {mode: command}}\n",
			[]string{"phpfpm.instances[0].version", "phpfpm.instances[0].socket_dir", "phpfpm.instances[0].service.reload_command"}},
		{"unknown instance key", "phpfpm:\n  instances:\n    - {version: '8.3', pooldir: /x}\n", []string{`unknown key "phpfpm.instances[0].pooldir"`}},
		{"single default names another", "phpfpm: {version: '8.2', default_instance: '8.3'}\n", []string{"phpfpm.default_instance", "names no instance"}},
		{"auto default is a version", "phpfpm: {default_instance: legacy}\n", []string{"phpfpm.default_instance", "is not a PHP version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			_, err := load(t, tt.yaml)
			wantError(t, err, tt.want...)
		})
	}
}

// TestMultiPHPExample loads the several-instances example and checks that
// it shows every key of an instance.
func TestMultiPHPExample(t *testing.T) {
	cleanEnv(t)
	const path = "../../configs/multi-php.example.yaml"
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if got := len(c.PHPFPM.Instances); got != 2 || c.PHPFPM.Instances[1].Name != "8.3" {
		t.Errorf("instances = %+v", c.PHPFPM.Instances)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range append(structKeys(reflect.TypeFor[PHPFPM](), "phpfpm."), "phpfpm") {
		if (strings.HasPrefix(key, "phpfpm.instances") || key == "phpfpm.default_instance") &&
			!strings.Contains(string(data), lastKey(key)+":") {
			t.Errorf("the example lacks key %q", key)
		}
	}
}

func lastKey(key string) string {
	return key[strings.LastIndexAny(key, ".]")+1:]
}

// TestFPMInstancesFromEnv: the environment cannot address one entry, but
// can give the whole list as YAML; left-out keys still get defaults.
func TestFPMInstancesFromEnv(t *testing.T) {
	cleanEnv(t)
	t.Setenv("POOLVISOR_PHPFPM_INSTANCES", "[{version: '8.3'}, {name: old, version: '7.4', pool_dir: /srv/74}]")
	t.Setenv("POOLVISOR_PHPFPM_DEFAULT_INSTANCE", "old")
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	in := c.PHPFPM.Instances
	if len(in) != 2 || in[0].Name != "8.3" || in[1].PoolDir != "/srv/74" || in[1].Service.Mode != "systemd" || c.PHPFPM.DefaultInstance != "old" {
		t.Errorf("instances %+v, default %q", in, c.PHPFPM.DefaultInstance)
	}
}

func TestFPMInstancesRedacted(t *testing.T) {
	cleanEnv(t)
	c := mustLoad(t, "phpfpm:\n  instances:\n    - {name: legacy, version: '7.4'}\n")
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"instances:", "name: legacy", `version: "7.4"`, "pool_dir: auto"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Redacted lacks %q:\n%s", want, out)
		}
	}
}

// TestFPMEditMainConfigFileOnly: edit_main_config widens what a write role
// may change; the environment may not set it, alone or in the list.
func TestFPMEditMainConfigFileOnly(t *testing.T) {
	cleanEnv(t)
	t.Setenv("POOLVISOR_PHPFPM_EDIT_MAIN_CONFIG", "true")
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "phpfpm.edit_main_config") {
		t.Errorf("POOLVISOR_PHPFPM_EDIT_MAIN_CONFIG: err = %v", err)
	}
	cleanEnv(t)
	t.Setenv("POOLVISOR_PHPFPM_INSTANCES", "[{version: '8.3', edit_main_config: true}]")
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "phpfpm.instances[0].edit_main_config") {
		t.Errorf("edit_main_config in POOLVISOR_PHPFPM_INSTANCES: err = %v", err)
	}
}
