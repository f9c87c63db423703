package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFleetExamples loads the hub and agent examples with their files
// present (in a temp dir) and their placeholders filled in.
func TestFleetExamples(t *testing.T) {
	for _, name := range []string{"hub", "agent"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile("../../configs/" + name + ".example.yaml")
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for _, f := range []string{"slack-bot-token", "slack-app-token"} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("xoxb-test\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := strings.ReplaceAll(string(raw), "/etc/poolvisor/", dir+"/")
			s = strings.ReplaceAll(s, "/var/lib/poolvisor", filepath.Join(dir, "data"))
			s = strings.Replace(s, "REPLACE_WITH_THE_HUB_PUBLIC_KEY_PRINTED_BY_POOLVISOR_KEYGEN_64_HEX", strings.Repeat("ab", 32), 1)
			s = regexp.MustCompile(`REPLACE_WITH_[A-Z0-9_]+_PUBLIC_KEY`).ReplaceAllString(s, strings.Repeat("cd", 32))
			path := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Mode != name {
				t.Errorf("mode %q", c.Mode)
			}
		})
	}
}
