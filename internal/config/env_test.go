package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		file  string // config file content; "" loads no file
		env   map[string]string
		check func(*Config) any // returns the value under test
		want  any
	}{
		{"string over default", "", map[string]string{"POOLVISOR_SUPERVISOR_URL": "http://127.0.0.1:9001"},
			func(c *Config) any { return c.Supervisor.URL }, "http://127.0.0.1:9001"},
		{"string over file", "supervisor: {url: 'unix:///a.sock'}\n", map[string]string{"POOLVISOR_SUPERVISOR_URL": "unix:///b.sock"},
			func(c *Config) any { return c.Supervisor.URL }, "unix:///b.sock"},
		{"duration", "", map[string]string{"POOLVISOR_FLEET_REQUEST_TIMEOUT": "1h"},
			func(c *Config) any { return c.Fleet.RequestTimeout }, time.Hour},
		{"comma list", "", map[string]string{"POOLVISOR_PHPFPM_PROTECTED_POOLS": "www, api"},
			func(c *Config) any { return c.PHPFPM.ProtectedPools }, []string{"www", "api"}},
		{"empty list", "", map[string]string{"POOLVISOR_PHPFPM_PROTECTED_POOLS": ""},
			func(c *Config) any { return c.PHPFPM.ProtectedPools }, []string{}},
		{"bool", "", map[string]string{"POOLVISOR_SUPERVISOR_ENABLED": "false"},
			func(c *Config) any { return c.Supervisor.Enabled }, false},
		{"deep key", "", map[string]string{"POOLVISOR_PHPFPM_SERVICE_UNIT": "php8.3-fpm"},
			func(c *Config) any { return c.PHPFPM.Service.Unit }, "php8.3-fpm"},
		{"set but empty clears", "", map[string]string{"POOLVISOR_LISTEN": ""},
			func(c *Config) any { return c.Listen }, ""},
		{"sibling keys of the file stay", "log: {level: debug, format: json}\n", map[string]string{"POOLVISOR_LOG_LEVEL": "warn"},
			func(c *Config) any { return c.Log }, Log{Level: "warn", Format: "json"}},
		{"host derives default_host", "", map[string]string{"POOLVISOR_HOST": "web-09"},
			func(c *Config) any { return c.DefaultHost }, "web-09"},
		{"map as YAML keeps case", "", map[string]string{"POOLVISOR_CHANNELS": "{C0123: web-01}"},
			func(c *Config) any { return c.Channels }, map[string]string{"C0123": "web-01"}},
		{"map of lists as YAML", "", map[string]string{"POOLVISOR_HOST_GROUPS": "{Web: [web-01, web-02]}"},
			func(c *Config) any { return c.HostGroups }, map[string][]string{"Web": {"web-01", "web-02"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := ""
			if tt.file != "" {
				path = writeFile(t, "poolvisor.yaml", tt.file)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEnvBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"duration", map[string]string{"POOLVISOR_FLEET_REQUEST_TIMEOUT": "abc"},
			[]string{`config: fleet.request_timeout: invalid duration "abc"`, "POOLVISOR_FLEET_REQUEST_TIMEOUT"}},
		{"bool", map[string]string{"POOLVISOR_SLACK_ENABLED": "yes"},
			[]string{`config: slack.enabled: invalid boolean "yes"`}},
		{"not YAML", map[string]string{"POOLVISOR_HOST_GROUPS": "{web: [a"},
			[]string{"config: host_groups: expected YAML"}},
		{"semantic check", map[string]string{"POOLVISOR_LOG_FORMAT": "xml"},
			[]string{`config: log.format: invalid value "xml"`}},
		{"two at once", map[string]string{"POOLVISOR_ALERTS_FLAP_WINDOW": "x", "POOLVISOR_FLEET_REQUEST_TIMEOUT": "y"},
			[]string{"alerts.flap_window", "fleet.request_timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := Load("")
			wantError(t, err, tt.want...)
		})
	}
}

// TestEnvSecurityKeysRefused: who may do what comes from the config file
// only. A variable for a security key stops the load, naming the key and
// the variable, even when it is empty.
func TestEnvSecurityKeysRefused(t *testing.T) {
	for env, key := range map[string]string{
		"POOLVISOR_LOCAL_ALLOW_IMPERSONATION":   "local.allow_impersonation",
		"POOLVISOR_APPROVALS_REQUIRED":          "approvals.required",
		"POOLVISOR_APPROVALS_TTL":               "approvals.ttl",
		"POOLVISOR_RBAC_BINDINGS":               "rbac.bindings",
		"POOLVISOR_RBAC_ROLES":                  "rbac.roles",
		"POOLVISOR_POLICY_PROGRAM_USERS":        "policy.program_users",
		"POOLVISOR_FLEET_HUB_PUBLIC_KEY":        "fleet.hub_public_key",
		"POOLVISOR_AUDIT_RETENTION":             "audit.retention",
		"POOLVISOR_SUPERVISOR_CHECK":            "supervisor.check",
		"POOLVISOR_SUPERVISOR_WRITABLE":         "supervisor.writable",
		"POOLVISOR_SUPERVISOR_EDIT_MAIN_CONFIG": "supervisor.edit_main_config",
	} {
		t.Run(env, func(t *testing.T) {
			cleanEnv(t)
			t.Setenv(env, "")
			_, err := Load("")
			wantError(t, err, "config: "+key+": is a security setting", "from "+env)
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bot := secret("bot", "xoxb-from-file\n")
	app := secret("app", "xapp-from-file\r\n")
	pw := secret("pw", "s3cret")
	empty := secret("empty", "\n")
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		want    func(*Config) bool
		wantErr []string
	}{
		{name: "read and trimmed",
			yaml: "slack: {enabled: true, bot_token_file: " + bot + ", app_token_file: " + app + "}\n" +
				"supervisor: {password_file: " + pw + "}\n",
			want: func(c *Config) bool {
				return c.Slack.BotToken == "xoxb-from-file" && c.Slack.AppToken == "xapp-from-file" &&
					c.Supervisor.Password == "s3cret" && c.Slack.BotTokenFile == bot
			}},
		{name: "file named by env", env: map[string]string{"POOLVISOR_DISCORD_BOT_TOKEN_FILE": bot},
			want: func(c *Config) bool { return c.Discord.BotToken == "xoxb-from-file" }},
		{name: "mattermost command token in a nested section",
			yaml: "mattermost: {command_tokens: {supervisor_file: " + bot + "}}\n",
			want: func(c *Config) bool { return c.Mattermost.CommandTokens.Supervisor == "xoxb-from-file" }},
		{name: "both set", yaml: "slack: {bot_token: xoxb-inline, bot_token_file: " + bot + "}\n",
			wantErr: []string{"config: slack.bot_token: set together with slack.bot_token_file"}},
		{name: "both set across file and env", yaml: "supervisor: {password: inline}\n",
			env:     map[string]string{"POOLVISOR_SUPERVISOR_PASSWORD_FILE": pw},
			wantErr: []string{"supervisor.password", "supervisor.password_file"}},
		{name: "missing file", yaml: "slack: {signing_secret_file: " + missing + "}\n",
			wantErr: []string{"config: slack.signing_secret_file: read secret:", "no such file"}},
		{name: "empty file", yaml: "discord: {bot_token_file: " + empty + "}\n",
			wantErr: []string{"config: discord.bot_token_file: secret file", "is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := load(t, tt.yaml)
			if tt.wantErr != nil {
				wantError(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.want(c) {
				t.Errorf("secrets not resolved: %+v %+v %+v", c.Slack, c.Discord, c.Supervisor)
			}
		})
	}
}

// wantError fails unless err contains every one of want.
func wantError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
}
