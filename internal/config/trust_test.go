package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFiles: a config file, or a file a secret comes from, that
// someone other than root could change stops the start with the reason.
func TestCheckFiles(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("xoxb-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "poolvisor.yaml", "slack: {bot_token_file: "+token+"}\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckFiles(path); err != nil {
		t.Fatalf("root's own files: %v", err)
	}

	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckFiles(path); err == nil || !strings.Contains(err.Error(), "writable by its group or by others") {
		t.Errorf("a config file mode 0666: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}

	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("xoxb-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o666); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	c.Slack.BotTokenFile = link
	if err := c.CheckFiles(path); err == nil || !strings.Contains(err.Error(), "slack.bot_token_file") {
		t.Errorf("a token file reached through a link to a file anyone can write: %v", err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chmod(open, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(link, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := c.CheckFiles(path); err == nil || !strings.Contains(err.Error(), "a link owned by uid 65534") {
			t.Errorf("a link owned by nobody: %v", err)
		}
	}
}

// TestSecretFileIsOneLine: a file of many lines (/etc/shadow) is no
// secret file; its content would be sent to a chat API as a token.
func TestSecretFileIsOneLine(t *testing.T) {
	cleanEnv(t)
	shadow := writeFile(t, "shadow", "root:$y$j9T$abc:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
	_, err := Load(writeFile(t, "poolvisor.yaml", "slack: {bot_token_file: "+shadow+"}\n"))
	wantError(t, err, "slack.bot_token_file", "is not a secret file")
}

// TestSources names where each value that is not a default came from.
func TestSources(t *testing.T) {
	cleanEnv(t)
	t.Setenv("POOLVISOR_LOG_LEVEL", "debug")
	path := writeFile(t, "poolvisor.yaml", "supervisor: {url: 'unix:///a.sock'}\nhost_groups: {web: [a]}\npolicy: {fpm_tcp: any}\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sources(path, c)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"supervisor.url": "file " + path, "host_groups": "file " + path, "policy.fpm_tcp": "file " + path,
		"log.level": "environment POOLVISOR_LOG_LEVEL",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q", k, got[k], want)
		}
	}
}
