package config

import (
	"errors"
	"strings"
	"testing"
)

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		key  string
	}{
		{"top level", "hots: web-01\n", "hots"},
		{"misspelled nested key", "supervisor:\n  urll: unix:///x.sock\n", "supervisor.urll"},
		{"deep nested key", "phpfpm:\n  service:\n    reload: x\n", "phpfpm.service.reload"},
		{"inside a flow mapping", "log: {level: info, colour: true}\n", "log.colour"},
		{"inside a binding", "rbac:\n  bindings:\n    - role: admin\n      slack_user: [U012ABCDEF]\n", "rbac.bindings[0].slack_user"},
		{"inside a later binding", "rbac:\n  bindings:\n    - {role: admin, local_users: [root]}\n    - {role: admin, users: [x]}\n", "rbac.bindings[1].users"},
		{"keys are case-sensitive", "Host: web-01\n", "Host"},
		{"a section of the wrong level", "slack:\n  rbac: {}\n", "slack.rbac"},
		{"nats tls", "nats: {tls: {ca: /x}}\n", "nats.tls.ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			_, err := load(t, tt.yaml)
			wantError(t, err, `config: unknown key "`+tt.key+`"`)
			if !errors.Is(err, ErrUnknownKey) {
				t.Errorf("errors.Is(err, ErrUnknownKey) = false for %v", err)
			}
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tt.key {
				t.Errorf("KeyError.Key = %+v, want %q", ke, tt.key)
			}
		})
	}
}

func TestFreeFormMapsTakeAnyKey(t *testing.T) {
	cleanEnv(t)
	c := mustLoad(t, "host_groups: {AnyName: [a]}\nchannels: {C0XYZ: a, 'weird key': b}\n"+
		"rbac:\n  roles: {my-role: [ops.help], admin: ['*']}\n")
	if c.Channels["weird key"] != "b" || c.HostGroups["AnyName"][0] != "a" || c.RBAC.Roles["my-role"] == nil {
		t.Errorf("free-form maps lost keys: %v %v %v", c.Channels, c.HostGroups, c.RBAC.Roles)
	}
}

func TestUnknownKeysAllReported(t *testing.T) {
	cleanEnv(t)
	_, err := load(t, "hots: a\nsupervisor: {urll: x}\nlog: {levl: x, format: nope}\napprovals: {ttl: abc}\n")
	wantError(t, err, `"hots"`, `"supervisor.urll"`, `"log.levl"`, "approvals.ttl", "(line 4)")
}

func TestBadValues(t *testing.T) {
	const hexKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const hub = "mode: hub\nnats: {url: 'nats://x:1'}\ndefault_host: web-01\n"
	tests := []struct {
		name string
		yaml string
		want string // the key the error must name, as "config: KEY:"
	}{
		// types
		{"duration text", "approvals: {ttl: abc}\n", "approvals.ttl"},
		{"duration without unit", "approvals: {ttl: 15}\n", "approvals.ttl"},
		{"bool", "phpfpm: {enabled: maybe}\n", "phpfpm.enabled"},
		{"list given a mapping", "phpfpm: {protected_pools: {a: b}}\n", "phpfpm.protected_pools"},
		{"section given a value", "supervisor: yes\n", "supervisor"},
		{"section given a list", "log: [info]\n", "log"},
		{"string given a list", "host: [a, b]\n", "host"},
		{"bindings given a mapping", "rbac: {bindings: {role: admin}}\n", "rbac.bindings"},
		{"roles given a list", "rbac: {roles: [admin]}\n", "rbac.roles"},
		{"key set twice", "host: a\nhost: b\n", "host"},
		// values
		{"log level", "log: {level: verbose}\n", "log.level"},
		{"log format", "log: {format: xml}\n", "log.format"},
		{"mode", "mode: cluster\n", "mode"},
		{"maintenance max zero", "maintenance: {max_duration: 0s}\n", "maintenance.max_duration"},
		{"maintenance max above a week", "maintenance: {max_duration: 200h}\n", "maintenance.max_duration"},
		{"window without a time zone", "maintenance: {windows: [{days: [sun], start: '02:00', duration: 2h}]}\n", "maintenance.windows[0]"},
		{"window in an unknown zone", "maintenance: {windows: [{days: [sun], start: '02:00', duration: 2h, time_zone: Mars/Olympus}]}\n", "maintenance.windows[0]"},
		{"window on no day", "maintenance: {windows: [{days: [someday], start: '02:00', duration: 2h, time_zone: UTC}]}\n", "maintenance.windows[0]"},
		{"window at no time", "maintenance: {windows: [{days: [sun], start: '25:00', duration: 2h, time_zone: UTC}]}\n", "maintenance.windows[0]"},
		{"window without a duration", "maintenance: {windows: [{days: [sun], start: '02:00', time_zone: UTC}]}\n", "maintenance.windows[0]"},
		{"listen without port", "listen: localhost\n", "listen"},
		{"listen bad port", "listen: 127.0.0.1:99999\n", "listen"},
		{"listen named port", "listen: 127.0.0.1:http\n", "listen"},
		{"empty host", "host: ''\n", "host"},
		{"data_dir empty", "data_dir: ''\n", "data_dir"},
		{"php version", "phpfpm: {version: eight}\n", "phpfpm.version"},
		{"relative pool_dir", "phpfpm: {pool_dir: pool.d}\n", "phpfpm.pool_dir"},
		{"protected pool name", "phpfpm: {protected_pools: ['a b']}\n", "phpfpm.protected_pools[0]"},
		{"fpm service mode", "phpfpm: {service: {mode: init}}\n", "phpfpm.service.mode"},
		{"command mode without reload_command", "phpfpm: {service: {mode: command}}\n", "phpfpm.service.reload_command"},
		{"supervisor url scheme", "supervisor: {url: 'ftp://x:21'}\n", "supervisor.url"},
		{"supervisor url relative socket", "supervisor: {url: 'unix://run/s.sock'}\n", "supervisor.url"},
		{"supervisor url without port", "supervisor: {url: 'http://127.0.0.1'}\n", "supervisor.url"},
		{"supervisor url with credentials", "supervisor: {url: 'http://u:p@127.0.0.1:9001'}\n", "supervisor.url"},
		{"supervisor relative dir", "supervisor: {program_dir: conf.d}\n", "supervisor.program_dir"},
		{"slack mode", "slack: {mode: rtm}\n", "slack.mode"},
		{"slack without bot token", "slack: {enabled: true, app_token: xapp-1}\n", "slack.bot_token"},
		{"slack socket without app token", "slack: {enabled: true, bot_token: xoxb-1}\n", "slack.app_token"},
		{"slack http without signing secret", "slack: {enabled: true, mode: http, bot_token: xoxb-1}\n", "slack.signing_secret"},
		{"slack http without listen", "listen: ''\nslack: {enabled: true, mode: http, bot_token: b, signing_secret: s}\n", "listen"},
		{"discord http without listen", "listen: ''\ndiscord: {enabled: true, mode: http, bot_token: b, application_id: '1', public_key: " + hexKey + "}\n", "listen"},
		{"supervisor url without host", "supervisor: {url: 'http://:9001'}\n", "supervisor.url"},
		{"slack api url", "slack: {api_url: 'slack.com/api'}\n", "slack.api_url"},
		{"discord mode", "discord: {mode: websocket}\n", "discord.mode"},
		{"mattermost mode", "mattermost: {mode: socket}\n", "mattermost.mode"},
		{"mattermost websocket without url", "mattermost: {enabled: true, mode: websocket, bot_token: b}\n", "mattermost.url"},
		{"mattermost websocket without bot token", "mattermost: {enabled: true, mode: websocket, url: 'https://mm'}\n", "mattermost.bot_token"},
		{"mattermost websocket buttons without secret", "mattermost: {enabled: true, mode: websocket, url: 'https://mm', bot_token: b, public_url: 'https://pv'}\n", "mattermost.action_secret"},
		{"mattermost websocket buttons without listen", "listen: ''\nmattermost: {enabled: true, mode: websocket, url: 'https://mm', bot_token: b, public_url: 'https://pv', action_secret: " + mmSecret + "}\n", "listen"},
		{"mattermost without url", "mattermost: {enabled: true, public_url: 'https://pv', bot_token: b, command_tokens: {ops: t}, action_secret: " + mmSecret + "}\n", "mattermost.url"},
		{"mattermost url scheme", "mattermost: {url: 'chat.example.com'}\n", "mattermost.url"},
		{"mattermost without bot token", "mattermost: {enabled: true, public_url: 'https://pv', url: 'https://mm', command_tokens: {ops: t}, action_secret: " + mmSecret + "}\n", "mattermost.bot_token"},
		{"mattermost without command tokens", "mattermost: {enabled: true, public_url: 'https://pv', url: 'https://mm', bot_token: b, action_secret: " + mmSecret + "}\n", "mattermost.command_tokens"},
		{"mattermost short action secret", "mattermost: {enabled: true, public_url: 'https://pv', url: 'https://mm', bot_token: b, command_tokens: {ops: t}, action_secret: short}\n", "mattermost.action_secret"},
		{"mattermost without listen", "listen: ''\nmattermost: {enabled: true, public_url: 'https://pv', url: 'https://mm', bot_token: b, command_tokens: {ops: t}, action_secret: " + mmSecret + "}\n", "listen"},
		{"mattermost without public url", "mattermost: {enabled: true, url: 'https://mm', bot_token: b, command_tokens: {ops: t}, action_secret: " + mmSecret + "}\n", "mattermost.public_url"},
		{"mattermost channel name", "mattermost: {notify_channel_id: town-square}\n", "mattermost.notify_channel_id"},
		{"discord without bot token", "discord: {enabled: true, application_id: '1234'}\n", "discord.bot_token"},
		{"discord without application id", "discord: {enabled: true, bot_token: t}\n", "discord.application_id"},
		{"discord http without public key", "discord: {enabled: true, mode: http, bot_token: t, application_id: '1'}\n", "discord.public_key"},
		{"discord short public key", "discord: {public_key: abcd}\n", "discord.public_key"},
		{"discord public key not hex", "discord: {public_key: " + strings.Repeat("z", 64) + "}\n", "discord.public_key"},
		{"discord guild id", "discord: {guild_ids: [my-server]}\n", "discord.guild_ids[0]"},
		{"approvals ttl zero", "approvals: {ttl: 0s}\n", "approvals.ttl"},
		{"approvals ttl negative", "approvals: {ttl: -1m}\n", "approvals.ttl"},
		{"no pending request allowed", "approvals: {max_pending_per_person: 0}\n", "approvals.max_pending_per_person"},
		{"approvals kept under a day", "approvals: {retention: 1h}\n", "approvals.retention"},
		{"audit kept under a day", "audit: {retention: 10m}\n", "audit.retention"},
		{"unknown supervisord check", "supervisor: {check: off}\n", "supervisor.check"},
		{"relative writable glob", "supervisor: {writable: [conf.d/*.conf]}\n", "supervisor.writable[0]"},
		{"bad writable glob", "supervisor: {writable: [\"/etc/[x\"]}\n", "supervisor.writable[0]"},
		{"approvals unknown operation", "approvals: {required: [fpm.pool.nuke]}\n", "approvals.required[0]"},
		{"approver role unknown", "approvals: {approver_roles: [boss]}\n", "approvals.approver_roles[0]"},
		{"request timeout zero", "fleet: {request_timeout: 0s}\n", "fleet.request_timeout"},
		{"hub public key", "fleet: {hub_public_key: xyz}\n", "fleet.hub_public_key"},
		{"hub without key file", "mode: hub\n", "fleet.hub_key_file"},
		{"agent without hub key", "mode: agent\n", "fleet.hub_public_key"},
		{"agent without its own key", "mode: agent\nnats: {url: 'nats://x:1'}\nfleet: {hub_public_key: " + hexKey + "}\n", "fleet.agent_key_file"},
		{"agent key file relative", "fleet: {agent_key_file: agent.key}\n", "fleet.agent_key_file"},
		{"hub without agent keys", hub + "fleet: {hub_key_file: /k}\n", "fleet.agent_keys"},
		{"agent key not hex", "fleet: {agent_keys: {web-01: nothex}}\n", "fleet.agent_keys.web-01"},
		{"agent key for a bad host name", "fleet: {agent_keys: {'web 01': " + hexKey + "}}\n", "fleet.agent_keys.web 01"},
		{"default host without a pinned key", hub + "fleet: {hub_key_file: /k, agent_keys: {web-02: " + hexKey + "}}\n", "default_host"},
		{"group member without a pinned key", hub + "fleet: {hub_key_file: /k, agent_keys: {web-01: " + hexKey + "}}\nhost_groups: {web: [web-01, web-02]}\n", "host_groups.web[1]"},
		{"channel host without a pinned key", hub + "fleet: {hub_key_file: /k, agent_keys: {web-01: " + hexKey + "}}\nchannels: {C1: web-09}\n", "channels.C1"},
		{"agent with hub key is fine but nats url bad", "mode: agent\nfleet: {hub_public_key: " + hexKey + "}\nnats: {url: 'http://x:1'}\n", "nats.url"},
		{"tls cert without key", "nats: {tls: {cert_file: /c.pem}}\n", "nats.tls"},
		{"host group all", "host_groups: {all: [a]}\n", "host_groups.all"},
		{"empty host group", "host_groups: {web: []}\n", "host_groups.web"},
		{"channel without host", "channels: {C1: ''}\n", "channels.C1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			_, err := load(t, tt.yaml)
			wantError(t, err, "config: "+tt.want+":")
			var ke *KeyError
			if errors.As(err, &ke) && ke.Key != tt.want {
				t.Errorf("first KeyError names %q, want %q (%v)", ke.Key, tt.want, err)
			}
		})
	}
}

func TestFileStructure(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"not YAML", "host: [a\n", "config: yaml:"},
		{"top level is a list", "- a\n- b\n", "top level must be a mapping"},
		{"two documents", "host: a\n---\nhost: b\n", "exactly one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			_, err := load(t, tt.yaml)
			wantError(t, err, tt.want)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := Load("/nonexistent/poolvisor.yaml")
		wantError(t, err, "config: open /nonexistent/poolvisor.yaml")
	})
}

func TestValidateCollectsEveryProblem(t *testing.T) {
	cleanEnv(t)
	_, err := load(t, "log: {level: loud, format: xml}\nmode: x\napprovals: {ttl: 0s}\n")
	wantError(t, err, "log.level", "log.format", "config: mode:", "approvals.ttl")
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("got %d problems, want 4:\n%v", n, err)
	}
}

// mmSecret is an action secret long enough to pass validation.
const mmSecret = "0123456789abcdef0123456789abcdef"
