package app_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerEnv returns the ENV settings of the Dockerfile's last stage.
func dockerEnv(t *testing.T, dockerfile string) map[string]string {
	t.Helper()
	stages := strings.Split(strings.ReplaceAll(dockerfile, "\\\n", " "), "\nFROM ")
	env := map[string]string{}
	for _, line := range strings.Split(stages[len(stages)-1], "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "ENV ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("ENV %q: write KEY=VALUE", rest)
			}
			env[k] = v
		}
	}
	return env
}

// TestDockerImageDefaults reads the Dockerfile (no engine runs here): the
// image listens where its published port reaches, finds its config and
// data where the README's mount layout puts them, sets no key that the
// environment may not set, and carries supervisord's code for its check
// (issue 14 item 11).
func TestDockerImageDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	env := dockerEnv(t, df)
	want := map[string]string{
		"POOLVISOR_CONFIG":   "/etc/poolvisor/poolvisor.yaml",
		"POOLVISOR_LISTEN":   "0.0.0.0:8080",
		"POOLVISOR_DATA_DIR": "/var/lib/poolvisor",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("ENV %s=%q, want %q", k, env[k], v)
		}
	}
	if m := regexp.MustCompile(`(?m)^EXPOSE (\d+)$`).FindStringSubmatch(df); m == nil || !strings.HasSuffix(env["POOLVISOR_LISTEN"], ":"+m[1]) {
		t.Errorf("EXPOSE %v does not match listen %s", m, env["POOLVISOR_LISTEN"])
	}
	if !regexp.MustCompile(`apt-get install[^\n]* supervisor\b`).MatchString(strings.ReplaceAll(df, "\\\n", " ")) {
		t.Error("the image lacks supervisord's code, which its config check needs")
	}
	if !strings.Contains(df, `CMD ["serve"]`) {
		t.Error(`the image does not run serve (with the config from $POOLVISOR_CONFIG)`)
	}

	// The image's environment with a config as the README mounts it:
	// accepted (no security key from the environment), listen as set.
	dir := t.TempDir()
	config := filepath.Join(dir, "poolvisor.yaml")
	if err := os.WriteFile(config, []byte("host: container\nphpfpm: {enabled: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "check-config")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		if k == "POOLVISOR_CONFIG" {
			v = config
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "listen: 0.0.0.0:8080") {
		t.Errorf("check-config with the image's environment: %v\n%s", err, out)
	}
}
