package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// e2eConfig is the config file of an end-to-end test: what they all share
// (host, data_dir under a fresh directory, the supervisor section of a
// sandbox supervisord, local impersonation), and what each test sets
// itself: the platform sections, the RBAC bindings and any other YAML.
type e2eConfig struct {
	host     string               // "e2e" when empty
	listen   string               // serve's address ("" for none)
	log      string               // log level; no log key when empty
	sv       *sandbox.Supervisord // nil: supervisor: {enabled: false}
	phpfpm   string               // the phpfpm section; "phpfpm: {enabled: false}" when empty
	sections string               // platform sections and other top-level YAML, before local
	local    string               // the local section's value; {allow_impersonation: true} when empty
	roles    string               // YAML lines under rbac before the bindings, indented two spaces
	bindings []string             // rbac.bindings, each a flow mapping "{role: ..., ...}"
	rbac     string               // YAML lines under rbac after the bindings, indented two spaces
	extra    string               // top-level YAML at the very end
}

// write writes c in a new temporary directory and returns the file's path.
func (c e2eConfig) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	host := c.host
	if host == "" {
		host = "e2e"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "host: %s\ndata_dir: %s/data\nlisten: %q\n", host, dir, c.listen)
	if c.log != "" {
		fmt.Fprintf(&b, "log: {level: %s}\n", c.log)
	}
	if c.sv != nil {
		fmt.Fprintf(&b, "supervisor:\n  url: %s\n  config_file: %s\n  program_dir: %s\n  log_dir: %s\n",
			c.sv.URL, c.sv.ConfigFile, c.sv.ProgramDir, c.sv.LogDir)
	} else {
		b.WriteString("supervisor: {enabled: false}\n")
	}
	if c.phpfpm == "" {
		b.WriteString("phpfpm: {enabled: false}\n")
	} else {
		b.WriteString(strings.TrimSuffix(c.phpfpm, "\n") + "\n")
	}
	if c.sections != "" {
		b.WriteString(strings.TrimSuffix(c.sections, "\n") + "\n")
	}
	local := c.local
	if local == "" {
		local = "{allow_impersonation: true}"
	}
	fmt.Fprintf(&b, "local: %s\nrbac:\n", local)
	b.WriteString(c.roles)
	b.WriteString("  bindings:\n")
	for _, l := range c.bindings {
		b.WriteString("    - " + l + "\n")
	}
	b.WriteString(c.rbac)
	b.WriteString(c.extra)
	path := filepath.Join(dir, "poolvisor.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newSlackFake is a fake Slack, closed when t ends, in which the user group
// S0OPS (the operators of the end-to-end configs) holds olga.
func newSlackFake(t *testing.T) *slackfake.Server {
	t.Helper()
	fake := slackfake.New(slackBot, slackApp)
	t.Cleanup(fake.Close)
	fake.SetUsergroup("S0OPS", sOlga.UserID)
	return fake
}

// slackSection is the slack section for fake in mode (http or socket).
func slackSection(mode string, fake *slackfake.Server) string {
	return fmt.Sprintf(`slack:
  enabled: true
  mode: %s
  bot_token: %s
  app_token: %s
  signing_secret: %s
  api_url: %s
  notify_channel: %s
`, mode, slackBot, slackApp, slackSecret, fake.APIURL(), slackNotify)
}

// newDiscordFake is a fake Discord closed when t ends.
func newDiscordFake(t *testing.T) *discordfake.Server {
	t.Helper()
	fake := discordfake.New(dApp, dBot)
	t.Cleanup(fake.Close)
	return fake
}

// discordSection is the discord section for fake in mode (http or
// gateway), publicKey the hex key of interactions ("" for the gateway).
func discordSection(mode, publicKey string, fake *discordfake.Server) string {
	return fmt.Sprintf(`discord:
  enabled: true
  mode: %s
  bot_token: %s
  application_id: "%s"
  public_key: "%s"
  guild_ids: ["%s"]
  api_url: %s
  notify_channel_id: "%s"
`, mode, dBot, dApp, publicKey, dGuild, fake.APIURL(), dNotify)
}

// fpmInstance is the YAML keys of a php-fpm instance run by the sandbox
// master f, and the extra lines given, each line indented by indent.
func fpmInstance(f *sandbox.PHPFPM, indent string, extra ...string) string {
	lines := append([]string{
		fmt.Sprintf("version: %q", f.Version),
		"binary: " + f.Binary,
		"main_config: " + f.MainConfig,
		"pool_dir: " + f.PoolDir,
		"socket_dir: " + f.SocketDir,
		"protected_pools: [www]",
		fmt.Sprintf("defaults: {user: %s, group: %s}", f.User, f.Group),
		"service: {mode: signal, pid_file: " + f.PIDFile + "}",
	}, extra...)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(indent + l + "\n")
	}
	return b.String()
}
