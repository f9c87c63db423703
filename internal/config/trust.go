package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// securityKeys are the keys that decide who may do what (and how long the
// record of it is kept, audit.*; whether supervisord's own check guards
// writes, supervisor.check; which files may be written, supervisor.writable and
// supervisor.edit_main_config): they may come
// only from the config file, never from the environment, so that nothing
// that can set a variable for the process can weaken them unseen.
var securityKeys = []string{"local.", "rbac.", "approvals.", "policy.", "audit.", "supervisor.check", "supervisor.writable", "supervisor.edit_main_config", "phpfpm.edit_main_config", "fleet.hub_public_key", "fleet.agent_keys"}

// IsSecurityKey reports whether key is one of securityKeys (or inside one).
func IsSecurityKey(key string) bool {
	for _, k := range securityKeys {
		if key == k || strings.HasSuffix(k, ".") && strings.HasPrefix(key, k) {
			return true
		}
	}
	return false
}

// securityEnv refuses every environment variable set for a security key.
func securityEnv() error {
	var p problems
	for _, l := range leaves() {
		if !IsSecurityKey(l.key) {
			continue
		}
		if _, set := os.LookupEnv(envName(l.key)); set {
			p.addFrom(l.key, "from "+envName(l.key), "is a security setting: it may only be set in the config file, not in the environment")
		}
	}
	return p.err()
}

// fileKeys are the keys that name files poolvisor reads secrets or keys from.
func (c *Config) fileKeys() map[string]string {
	out := map[string]string{}
	eachSecret(reflect.ValueOf(c).Elem(), "", func(key string, _, file reflect.Value) {
		if file.IsValid() && file.String() != "" {
			out[key+"_file"] = file.String()
		}
	})
	for k, v := range map[string]string{
		"nats.credentials_file": c.NATS.CredentialsFile, "nats.tls.key_file": c.NATS.TLS.KeyFile,
		"fleet.hub_key_file": c.Fleet.HubKeyFile, "fleet.agent_key_file": c.Fleet.AgentKeyFile,
	} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// CheckFiles refuses a config file, or a file it reads a secret or a key
// from, that someone other than root (or the user poolvisor runs as) could
// change: its owner, a directory on its path or a link on the way. Such a
// file could grant roles or swap a token without anyone noticing.
func (c *Config) CheckFiles(configPath string) error {
	uid := os.Geteuid()
	var p problems
	if configPath != "" {
		if err := writepolicy.CheckTrusted(configPath, uid); err != nil {
			p.add("(config file)", "%s: %v; make it root's, mode 0600", configPath, err)
		}
	}
	keys := c.fileKeys()
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		if err := writepolicy.CheckTrusted(keys[k], uid); err != nil {
			p.add(k, "%s: %v", keys[k], err)
		}
	}
	return p.err()
}

// Sources says where each key that is not at its default got its value:
// the file, an environment variable, or a *_file.
func Sources(path string, c *Config) (map[string]string, error) {
	out := map[string]string{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		file, err := parseFile(data)
		if err != nil {
			return nil, err
		}
		var walk func(prefix string, m map[string]any)
		walk = func(prefix string, m map[string]any) {
			for k, v := range m {
				key := childKey(prefix, k)
				if sub, ok := v.(map[string]any); ok && !isLeaf(key) {
					walk(key, sub)
					continue
				}
				out[key] = "file " + path
			}
		}
		walk("", file)
	}
	for _, l := range leaves() {
		if _, set := os.LookupEnv(envName(l.key)); set {
			out[l.key] = "environment " + envName(l.key)
		}
	}
	for k, f := range c.fileKeys() {
		if strings.HasSuffix(k, "_file") {
			out[strings.TrimSuffix(k, "_file")] = "file " + f
		}
	}
	return out, nil
}

// isLeaf reports whether key is a settable key whose value is a map
// (host_groups, rbac.people), not a section.
func isLeaf(key string) bool {
	for _, l := range leaves() {
		if l.key == key {
			return true
		}
	}
	return false
}
