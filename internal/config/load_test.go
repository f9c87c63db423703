package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cleanEnv hides any POOLVISOR_* variable of the environment the tests run
// in, and restores it afterwards.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "POOLVISOR_") {
			t.Setenv(name, value)
			os.Unsetenv(name)
		}
	}
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// load loads yaml as a config file.
func load(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	return Load(writeFile(t, "poolvisor.yaml", yaml))
}

func mustLoad(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := load(t, yaml)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	cleanEnv(t)
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	want := defaults(hostname)
	want.DefaultHost = hostname

	for name, load := range map[string]func() (*Config, error){
		"no file":    func() (*Config, error) { return Load("") },
		"empty file": func() (*Config, error) { return Load(writeFile(t, "empty.yaml", "")) },
		"comments":   func() (*Config, error) { return Load(writeFile(t, "c.yaml", "# nothing set\n")) },
		"empty sections": func() (*Config, error) {
			return Load(writeFile(t, "s.yaml", "phpfpm: {}\nsupervisor:\nrbac: {}\n"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("POOLVISOR_CONFIG", "")
	if got := DefaultPath(); got != "/etc/poolvisor/poolvisor.yaml" {
		t.Errorf("DefaultPath() = %q without $POOLVISOR_CONFIG", got)
	}
	t.Setenv("POOLVISOR_CONFIG", "/tmp/p.yaml")
	if got := DefaultPath(); got != "/tmp/p.yaml" {
		t.Errorf("DefaultPath() = %q, want $POOLVISOR_CONFIG", got)
	}
}

func TestFileValues(t *testing.T) {
	cleanEnv(t)
	c, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Config{
		Host: "web-07", Log: Log{Level: "debug", Format: "json"}, DataDir: "/srv/poolvisor",
		Listen: "0.0.0.0:9090", Mode: "hub",
		PHPFPM: PHPFPM{
			Version: "8.10", Binary: "/opt/php/sbin/php-fpm", MainConfig: "/opt/php/etc/php-fpm.conf",
			PoolDir: "/opt/php/etc/pool.d", SocketDir: "/var/run/php-fpm", LogDir: "/var/log/php-custom", HelperDir: "/run/poolvisor-fpm", ProtectedPools: []string{"www", "admin"},
			Defaults: PoolDefaults{User: "app", Group: "app"},
			Service: FPMService{Mode: "command", Unit: "php-custom", PIDFile: "/run/php-fpm.pid",
				ReloadCommand: "/usr/local/bin/fpm-reload", RestartCommand: "/usr/local/bin/fpm-restart",
				StatusCommand: "/usr/local/bin/fpm-status"},
			Instances: []FPMInstance{},
		},
		Supervisor: Supervisor{URL: "http://127.0.0.1:9001", Username: "admin", Password: "hunter2",
			ConfigFile: "/opt/supervisor/supervisord.conf", ProgramDir: "/opt/supervisor/programs",
			LogDir: "/opt/supervisor/logs", Check: "skip",
			Writable: []string{"/opt/supervisor/programs/*.conf"}, EditMainConfig: true},
		Slack: Slack{Enabled: true, Mode: "http", BotToken: "xoxb-file-bot", SigningSecret: "file-signing",
			APIURL: "http://127.0.0.1:3000/api/", NotifyChannel: "C0NOTIFY"},
		Discord: Discord{Enabled: true, Mode: "http", BotToken: "discord-file-bot",
			ApplicationID: "123456789012345678",
			PublicKey:     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			GuildIDs:      []string{"111111111111111111", "222222222222222222"},
			APIURL:        "http://127.0.0.1:3001/api/v10/", NotifyChannelID: "333333333333333333"},
		Mattermost: Mattermost{Mode: "http"},
		Local:      Local{AllowImpersonation: true, Socket: DefaultSocket},
		RBAC: RBAC{
			Roles: map[string][]string{
				"Deployer": {"supervisor.*", "fpm.pool.*", "ops.help"},
				"lead":     {"Deployer", "fpm.service.restart"},
				"root":     {"*"},
			},
			Bindings: []Binding{{Role: "lead", Members: map[string][]string{"slack_users": {"U012ABCDEF", "W0ABC12345"},
				"slack_usergroups": {"S0614TZR7"}, "discord_users": {"80351110224678912"},
				"discord_roles": {"41771983423143936"}, "local_users": {"deploy"}}}},
			People:   map[string]Person{"alice": {"slack": {"U012ABCDEF"}, "discord": {"80351110224678912"}, "local": {"alice"}}},
			MaxGrant: 24 * time.Hour, GrantReminder: 5 * time.Minute,
		},
		Approvals: Approvals{Required: []string{"fpm.pool.delete"}, ApproverRoles: []string{"root", "lead"},
			AllowSelfApproval: true, TTL: 90 * time.Minute, MaxPendingPerPerson: 3, Retention: 48 * time.Hour},
		Policy:  Policy{ProgramUsers: []string{"app", "deploy"}, WritableDirs: []string{"/srv/app/storage/logs"}, FPMTCP: "any"},
		History: History{Keep: 20},
		Audit:   Audit{Retention: 90 * 24 * time.Hour},
		Alerts: Alerts{Enabled: true, States: []string{"FATAL"}, UnexpectedExit: false,
			FlapWindow: 5 * time.Minute, Mute: []string{"scheduler", "queue:*"}, QuietHours: "22:00-06:00",
			StableAfter: 2 * time.Minute, UpdateInterval: 5 * time.Second, PoolInterval: 30 * time.Second, MaxPosts: 10, PostWindow: time.Minute},
		Maintenance: Maintenance{MaxDuration: 6 * time.Hour, Windows: []MaintenanceWindow{{Days: []string{"sun", "Wednesday"},
			Start: "02:30", Duration: 90 * time.Minute, TimeZone: "Europe/Berlin", Freeze: true, Reason: "weekly patching"}}},
		NATS: NATS{URL: "tls://nats.internal:4222", CredentialsFile: "/etc/poolvisor/nats.creds",
			TLS: TLS{CAFile: "/etc/poolvisor/ca.pem", CertFile: "/etc/poolvisor/cert.pem", KeyFile: "/etc/poolvisor/key.pem"}},
		Fleet: Fleet{HubKeyFile: "/etc/poolvisor/hub.key", RequestTimeout: 5 * time.Second, AgentKeys: map[string]string{
			"web-01": strings.Repeat("1", 64), "web-02": strings.Repeat("2", 64), "db-01": strings.Repeat("3", 64)}},
		DefaultHost: "web-01",
		HostGroups:  map[string][]string{"Web": {"web-01", "web-02"}, "db": {"db-01"}},
		Channels:    map[string]string{"C0123ABC": "Web", "C0456DEF": "db-01"},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("got  %+v\nwant %+v", *c, want)
	}
}

func TestRolesReplaceDefaults(t *testing.T) {
	cleanEnv(t)
	tests := []struct {
		name string
		yaml string
		want map[string][]string
	}{
		{"file roles replace the defaults", "rbac:\n  roles:\n    deployer: [supervisor.*]\napprovals: {approver_roles: [deployer]}\n",
			map[string][]string{"deployer": {"supervisor.*"}}},
		{"redefining a default role keeps only the file", "rbac:\n  roles:\n    admin: [ops.help]\n",
			map[string][]string{"admin": {"ops.help"}}},
		{"unset roles keep the defaults", "log: {level: warn}\n", defaultRoles()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.yaml)
			if !reflect.DeepEqual(c.RBAC.Roles, tt.want) {
				t.Errorf("roles = %v, want %v", c.RBAC.Roles, tt.want)
			}
		})
	}
}

func TestNullMeansEmpty(t *testing.T) {
	cleanEnv(t)
	c := mustLoad(t, "phpfpm:\n  protected_pools:\nlisten:\napprovals: {required: ~}\n")
	if c.PHPFPM.ProtectedPools == nil || len(c.PHPFPM.ProtectedPools) != 0 {
		t.Errorf("protected_pools = %#v, want empty", c.PHPFPM.ProtectedPools)
	}
	if c.Listen != "" || len(c.Approvals.Required) != 0 {
		t.Errorf("listen = %q, approvals.required = %v; want both empty", c.Listen, c.Approvals.Required)
	}
}
