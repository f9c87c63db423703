package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
)

// This file holds what is particular to phpfpm: its defaults, the
// instances of SPEC §6 and their validation.

// defaultPHPFPM is phpfpm when nothing is set. Its single-instance values
// are also what every key left out of a phpfpm.instances entry takes.
func defaultPHPFPM() PHPFPM {
	return PHPFPM{
		Enabled:         true,
		Version:         "auto",
		Binary:          "auto",
		MainConfig:      "auto",
		PoolDir:         "auto",
		SocketDir:       "/run/php",
		LogDir:          "/var/log/php-fpm",
		HelperDir:       "/run/poolvisor-fpm",
		ProtectedPools:  []string{"www"},
		Defaults:        PoolDefaults{User: "www-data", Group: "www-data"},
		Service:         FPMService{Mode: "systemd", Unit: "auto", PIDFile: "auto"},
		Instances:       []FPMInstance{},
		DefaultInstance: "",
	}
}

// Single returns the single-instance keys of f as one instance. Its Name is
// the version, or "" for version auto (the backend names what it finds).
func (f PHPFPM) Single() FPMInstance {
	name := f.Version
	if name == "auto" {
		name = ""
	}
	return FPMInstance{
		Name: name, Version: f.Version, Binary: f.Binary, MainConfig: f.MainConfig, PoolDir: f.PoolDir,
		SocketDir: f.SocketDir, LogDir: f.LogDir, HelperDir: f.HelperDir, ProtectedPools: f.ProtectedPools, MemoryBudgetMB: f.MemoryBudgetMB,
		Defaults: f.Defaults, Service: f.Service, EditMainConfig: f.EditMainConfig,
	}
}

// fillInstances gives every key left out of a phpfpm.instances entry its
// default, and the entry its name (the version) when it has none, so that
// Validate and Redacted see the effective values.
func (f *PHPFPM) fillInstances() {
	def := defaultPHPFPM().Single()
	for i := range f.Instances {
		in := &f.Instances[i]
		fill := func(v *string, d string) {
			if *v == "" {
				*v = d
			}
		}
		fill(&in.Version, def.Version)
		fill(&in.Binary, def.Binary)
		fill(&in.MainConfig, def.MainConfig)
		fill(&in.PoolDir, def.PoolDir)
		fill(&in.SocketDir, def.SocketDir)
		fill(&in.LogDir, def.LogDir)
		fill(&in.HelperDir, def.HelperDir)
		if in.ProtectedPools == nil {
			in.ProtectedPools = slices.Clone(def.ProtectedPools)
		}
		fill(&in.Defaults.User, def.Defaults.User)
		fill(&in.Defaults.Group, def.Defaults.Group)
		fill(&in.Service.Mode, def.Service.Mode)
		fill(&in.Service.Unit, def.Service.Unit)
		fill(&in.Service.PIDFile, def.Service.PIDFile)
		if in.Version != "auto" {
			fill(&in.Name, in.Version)
		}
	}
}

// instancesEnv refuses edit_main_config in phpfpm.instances given by the
// environment: like phpfpm.edit_main_config, it widens what a write role
// may change, so it comes from the config file only.
func (f PHPFPM) instancesEnv() error {
	name := envName("phpfpm.instances")
	if _, set := os.LookupEnv(name); !set {
		return nil
	}
	var p problems
	for i, in := range f.Instances {
		if in.EditMainConfig {
			p.addFrom(fmt.Sprintf("phpfpm.instances[%d].edit_main_config", i), "from "+name,
				"is a security setting: it may only be set in the config file, not in the environment")
		}
	}
	return p.err()
}

// singleKeys are the keys of phpfpm that phpfpm.instances replaces.
var singleKeys = []string{"version", "binary", "main_config", "pool_dir", "socket_dir", "log_dir",
	"helper_dir", "protected_pools", "defaults", "service", "edit_main_config"}

// changedSingleKeys lists the single-instance keys of f set to something
// other than their default.
func (f PHPFPM) changedSingleKeys() []string {
	got, def := reflect.ValueOf(f.Single()), reflect.ValueOf(defaultPHPFPM().Single())
	var out []string
	for _, key := range singleKeys {
		sf, _ := field(got.Type(), key)
		a, b := got.FieldByIndex(sf.Index).Interface(), def.FieldByIndex(sf.Index).Interface()
		if !reflect.DeepEqual(a, b) {
			out = append(out, "phpfpm."+key)
		}
	}
	return out
}

func (c *Config) validatePHPFPM(p *problems) {
	f := c.PHPFPM
	if len(f.Instances) == 0 {
		validateFPMInstance(p, "phpfpm", f.Single(), f.Enabled)
		// With version auto every installed version is an instance, named
		// by its version: default_instance may pick one (the backend checks
		// it is installed); the newest is the default otherwise.
		switch {
		case f.DefaultInstance == "":
		case f.Version == "auto" && !phpVersionRE().MatchString(f.DefaultInstance):
			p.add("phpfpm.default_instance", "%q is not a PHP version; with version auto the instances are named by their versions, like 8.3", f.DefaultInstance)
		case f.Version != "auto" && f.DefaultInstance != f.Version:
			p.add("phpfpm.default_instance", "%q names no instance: the one instance is %q (phpfpm.version)", f.DefaultInstance, f.Version)
		}
		return
	}
	if changed := f.changedSingleKeys(); len(changed) > 0 {
		p.add("phpfpm.instances", "is set together with %v: set those keys inside each instance instead", changed)
	}
	names := map[string]int{}
	for i, in := range f.Instances {
		key := indexKey("phpfpm.instances", i)
		switch {
		case in.Name == "":
			p.add(key+".name", "is required when version is auto")
		case !poolNameRE().MatchString(in.Name):
			p.add(key+".name", "%q is not a valid name: use 1 to 64 letters, digits, '_', '.' or '-'", in.Name)
		default:
			if j, dup := names[in.Name]; dup {
				p.add(key+".name", "%q is already the name of phpfpm.instances[%d]", in.Name, j)
			} else {
				names[in.Name] = i
			}
		}
		validateFPMInstance(p, key, in, f.Enabled)
	}
	switch {
	case f.DefaultInstance == "" && len(f.Instances) > 1:
		p.add("phpfpm.default_instance", "is required when there are several instances; name one of %s", nameList(f.Instances))
	case f.DefaultInstance != "":
		if _, ok := names[f.DefaultInstance]; !ok {
			p.add("phpfpm.default_instance", "%q is not the name of an instance; use one of %s", f.DefaultInstance, nameList(f.Instances))
		}
	}
}

func nameList(in []FPMInstance) string {
	var names []string
	for _, i := range in {
		names = append(names, i.Name)
	}
	return fmt.Sprintf("%q", names)
}

// validateFPMInstance checks one instance's keys, which are named under
// prefix (phpfpm, or phpfpm.instances[N]).
func validateFPMInstance(p *problems, prefix string, f FPMInstance, enabled bool) {
	k := func(name string) string { return prefix + "." + name }
	if f.Version != "auto" && !phpVersionRE().MatchString(f.Version) {
		p.add(k("version"), "%q is not a PHP version; use auto or a version like 8.2", f.Version)
	}
	absPath(p, k("binary"), f.Binary, true)
	absPath(p, k("main_config"), f.MainConfig, true)
	absPath(p, k("pool_dir"), f.PoolDir, true)
	absPath(p, k("socket_dir"), f.SocketDir, false)
	absPath(p, k("log_dir"), f.LogDir, false)
	absPath(p, k("helper_dir"), f.HelperDir, false)
	if f.MemoryBudgetMB < 0 {
		p.add(k("memory_budget_mb"), "must be 0 (measured) or a number of megabytes, not %d", f.MemoryBudgetMB)
	}
	for i, name := range f.ProtectedPools {
		if !poolNameRE().MatchString(name) {
			p.add(indexKey(k("protected_pools"), i), "%q is not a pool name", name)
		}
	}
	if enabled && f.Defaults.User == "" {
		p.add(k("defaults.user"), "is required")
	}
	if enabled && f.Defaults.Group == "" {
		p.add(k("defaults.group"), "is required")
	}
	s := f.Service
	oneOf(p, k("service.mode"), s.Mode, "systemd", "signal", "command")
	switch s.Mode {
	case "systemd":
		if s.Unit == "" {
			p.add(k("service.unit"), "is required in systemd mode; use auto or a unit name")
		}
	case "signal":
		absPath(p, k("service.pid_file"), s.PIDFile, true)
	case "command":
		if strings.TrimSpace(s.ReloadCommand) == "" {
			p.add(k("service.reload_command"), "is required in command mode")
		}
	}
}
