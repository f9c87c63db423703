package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Secret values used below; none may appear in any output.
var testSecrets = []string{
	"xoxb-SECRET-bot", "xapp-SECRET-app", "SECRET-signing", "SECRET-discord-bot",
	"SECRET-supervisor-pw", "SECRET-nats-token",
	"SECRET-mm-bot", "SECRET-mm-ops", "SECRET-mm-action-0123456789abcdef",
}

func TestRedactedHidesSecrets(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	appFile := filepath.Join(dir, "app-token")
	if err := os.WriteFile(appFile, []byte("xapp-SECRET-app\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POOLVISOR_DISCORD_BOT_TOKEN", "SECRET-discord-bot")
	c := mustLoad(t, `
slack: {enabled: true, mode: socket, bot_token: xoxb-SECRET-bot, app_token_file: `+appFile+`, signing_secret: SECRET-signing}
discord: {enabled: true, mode: http, application_id: "1234567890", public_key: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}
supervisor: {username: admin, password: SECRET-supervisor-pw}
nats: {url: "nats://SECRET-nats-token@nats-1:4222,nats://nats-2:4222"}
mattermost: {enabled: true, url: "https://mm", public_url: "https://pv", bot_token: SECRET-mm-bot,
  command_tokens: {ops: SECRET-mm-ops}, action_secret: SECRET-mm-action-0123456789abcdef}
`)
	out, err := c.Redacted()
	if err != nil {
		t.Fatalf("Redacted: %v", err)
	}
	text := string(out)
	for _, s := range testSecrets {
		if strings.Contains(text, s) {
			t.Errorf("Redacted output shows secret %q:\n%s", s, text)
		}
	}
	for _, want := range []string{
		"bot_token: '[redacted]'", "app_token: '[redacted]'", "signing_secret: '[redacted]'",
		"password: '[redacted]'", "app_token_file: " + appFile, "username: admin",
		"nats://REDACTED@nats-1:4222,nats://nats-2:4222",
		"ops: '[redacted]'", "action_secret: '[redacted]'",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Redacted output lacks %q:\n%s", want, text)
		}
	}
	if c.Slack.BotToken != "xoxb-SECRET-bot" || c.Supervisor.Password != "SECRET-supervisor-pw" {
		t.Error("Redacted changed the config it was called on")
	}
}

func TestRedactedLeavesEmptySecretsEmpty(t *testing.T) {
	cleanEnv(t)
	c := mustLoad(t, "")
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "[redacted]") {
		t.Errorf("empty secrets were marked redacted:\n%s", out)
	}
}

// TestRedactedLoadsAgain checks that the output uses the file's key names and
// value formats: loading it gives back the same config.
func TestRedactedLoadsAgain(t *testing.T) {
	cleanEnv(t)
	c, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Without secrets, so that nothing is redacted and the round trip is exact.
	c.Supervisor.Password, c.Slack.BotToken, c.Slack.SigningSecret, c.Discord.BotToken = "", "", "", ""
	c.Slack.Enabled, c.Discord.Enabled = false, false
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	again, err := load(t, string(out))
	if err != nil {
		t.Fatalf("Load(Redacted()): %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again, c) {
		t.Errorf("round trip changed the config:\n got %+v\nwant %+v", again, c)
	}
}

func TestErrorsNeverShowSecrets(t *testing.T) {
	cleanEnv(t)
	t.Setenv("POOLVISOR_SLACK_APP_TOKEN", "xapp-SECRET-app")
	_, err := load(t, `
slack: {enabled: true, mode: http, bot_token: xoxb-SECRET-bot, signing_secret_file: /nonexistent}
supervisor: {password: SECRET-supervisor-pw, password_file: /also/missing}
discord: {enabled: true, bot_token: SECRET-discord-bot, public_key: nothex}
nats: {url: "nats://SECRET-nats-token@:bad:port"}
log: {level: loud}
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range testSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error shows secret %q:\n%v", s, err)
		}
	}
}
