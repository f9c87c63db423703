package config

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const examplePath = "../../configs/poolvisor.example.yaml"

func TestExampleLoads(t *testing.T) {
	cleanEnv(t)
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	if !reflect.DeepEqual(c.RBAC.Roles, defaultRoles()) {
		t.Errorf("the example's rbac.roles differ from the defaults:\n%v", c.RBAC.Roles)
	}
}

// structKeys lists every key of t, with "[]" for the items of a list.
func structKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if isRemain(f) { // a binding's platform lists: each of its keys
			for _, k := range remainKeys[t]() {
				keys = append(keys, prefix+k)
			}
			continue
		}
		key := prefix + keyName(f)
		keys = append(keys, key)
		switch {
		case isSection(f.Type):
			keys = append(keys, structKeys(f.Type, key+".")...)
		case f.Type.Kind() == reflect.Slice && isSection(f.Type.Elem()):
			keys = append(keys, structKeys(f.Type.Elem(), key+"[].")...)
		}
	}
	return keys
}

// nodeKeys lists every key in a YAML mapping, with "[]" for list items.
func nodeKeys(n *yaml.Node, prefix string, into map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodeKeys(c, prefix, into)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			into[key] = true
			nodeKeys(n.Content[i+1], key+".", into)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			nodeKeys(c, strings.TrimSuffix(prefix, ".")+"[].", into)
		}
	}
}

func TestExampleHasEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	nodeKeys(&doc, "", present)
	for _, key := range structKeys(configType, "") {
		// phpfpm.instances replaces the single-instance keys, so one
		// file cannot show both: multi-php.example.yaml shows them.
		if strings.HasPrefix(key, "phpfpm.instances") || key == "phpfpm.default_instance" {
			continue
		}
		if !present[key] {
			t.Errorf("the example lacks key %q", key)
		}
	}
	// Every line that sets a key explains it, except list items and keys
	// inside free-form maps whose parent line carries the comment.
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || !strings.Contains(trimmed, ":") {
			continue
		}
		if strings.HasSuffix(trimmed, ":") || strings.Contains(trimmed, " #") {
			continue
		}
		if strings.HasPrefix(line, "    ") && !strings.HasPrefix(trimmed, "-") {
			continue // inside rbac.roles, or a binding's later keys
		}
		t.Errorf("line %d has no comment: %s", i+1, line)
	}
}

func TestTags(t *testing.T) {
	var walk func(reflect.Type, string)
	walk = func(rt reflect.Type, prefix string) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			key := prefix + keyName(f)
			if isRemain(f) {
				if f.Tag.Get("yaml") != ",inline" {
					t.Errorf("%s: the remain field %s is not inline in YAML", prefix, f.Name)
				}
				continue
			}
			if y, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); y != keyName(f) || y == "" {
				t.Errorf("%s: yaml tag %q differs from mapstructure tag %q", key, y, keyName(f))
			}
			if f.Tag.Get("secret") == "true" {
				if _, ok := field(rt, keyName(f)+"_file"); !ok {
					t.Errorf("secret %s has no %s_file key", key, key)
				}
			}
			switch {
			case isSection(f.Type):
				walk(f.Type, key+".")
			case f.Type.Kind() == reflect.Slice && isSection(f.Type.Elem()):
				walk(f.Type.Elem(), key+"[].")
			}
		}
	}
	walk(configType, "")

	var secrets []string
	eachSecret(reflect.ValueOf(&Config{}).Elem(), "", func(key string, _, _ reflect.Value) {
		secrets = append(secrets, key)
	})
	want := []string{"supervisor.password", "slack.bot_token", "slack.app_token", "slack.signing_secret", "discord.bot_token",
		"mattermost.bot_token", "mattermost.command_tokens.fpm", "mattermost.command_tokens.supervisor",
		"mattermost.command_tokens.ops", "mattermost.action_secret"}
	if !reflect.DeepEqual(secrets, want) {
		t.Errorf("secrets = %v, want %v", secrets, want)
	}
}
