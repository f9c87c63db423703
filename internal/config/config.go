// Package config reads poolvisor's configuration (SPEC §5): a YAML file,
// overridden key by key by POOLVISOR_* environment variables, with secrets
// optionally read from *_file keys. Decoding is strict: an unknown key or a
// value of the wrong type is an error that names the key. Validate checks the
// values themselves, and Redacted prints the effective configuration with
// every secret hidden.
//
// Key names come from the mapstructure tags below; the yaml tags repeat them so
// that a Config marshals back to the same keys. Fields tagged secret:"true"
// are hidden by Redacted and may be given as <key>_file instead.
package config

import (
	"os"
	"time"
)

// DefaultConfigPath is where the config lives when $POOLVISOR_CONFIG is unset.
const DefaultConfigPath = "/etc/poolvisor/poolvisor.yaml"

// DefaultPath returns $POOLVISOR_CONFIG, or DefaultConfigPath when it is unset.
func DefaultPath() string {
	if p := os.Getenv("POOLVISOR_CONFIG"); p != "" {
		return p
	}
	return DefaultConfigPath
}

// Config is poolvisor's whole configuration.
type Config struct {
	Host       string     `mapstructure:"host" yaml:"host"`
	Log        Log        `mapstructure:"log" yaml:"log"`
	DataDir    string     `mapstructure:"data_dir" yaml:"data_dir"`
	Listen     string     `mapstructure:"listen" yaml:"listen"`
	Mode       string     `mapstructure:"mode" yaml:"mode"`
	PHPFPM     PHPFPM     `mapstructure:"phpfpm" yaml:"phpfpm"`
	Supervisor Supervisor `mapstructure:"supervisor" yaml:"supervisor"`
	Slack      Slack      `mapstructure:"slack" yaml:"slack"`
	Discord    Discord    `mapstructure:"discord" yaml:"discord"`
	Mattermost Mattermost `mapstructure:"mattermost" yaml:"mattermost"`
	Local      Local      `mapstructure:"local" yaml:"local"`
	RBAC       RBAC       `mapstructure:"rbac" yaml:"rbac"`
	Approvals  Approvals  `mapstructure:"approvals" yaml:"approvals"`
	Policy     Policy     `mapstructure:"policy" yaml:"policy"`
	History    History    `mapstructure:"history" yaml:"history"`
	Audit      Audit      `mapstructure:"audit" yaml:"audit"`
	Alerts     Alerts     `mapstructure:"alerts" yaml:"alerts"`
	// Maintenance holds the windows that hold alerts back and the longest
	// window or mute a command may start.
	Maintenance Maintenance `mapstructure:"maintenance" yaml:"maintenance"`
	NATS        NATS        `mapstructure:"nats" yaml:"nats"`
	Fleet       Fleet       `mapstructure:"fleet" yaml:"fleet"`

	DefaultHost string              `mapstructure:"default_host" yaml:"default_host"`
	HostGroups  map[string][]string `mapstructure:"host_groups" yaml:"host_groups"`
	Channels    map[string]string   `mapstructure:"channels" yaml:"channels"` // chat channel ID -> host or group
}

// Log configures poolvisor's own log.
type Log struct {
	Level  string `mapstructure:"level" yaml:"level"`   // debug | info | warn | error
	Format string `mapstructure:"format" yaml:"format"` // text | json
}

// PHPFPM configures the PHP-FPM backend. "auto" values are resolved by the
// backend from the installed PHP version.
type PHPFPM struct {
	Enabled    bool   `mapstructure:"enabled" yaml:"enabled"`
	Version    string `mapstructure:"version" yaml:"version"`
	Binary     string `mapstructure:"binary" yaml:"binary"`
	MainConfig string `mapstructure:"main_config" yaml:"main_config"`
	PoolDir    string `mapstructure:"pool_dir" yaml:"pool_dir"`
	SocketDir  string `mapstructure:"socket_dir" yaml:"socket_dir"`
	LogDir     string `mapstructure:"log_dir" yaml:"log_dir"` // where pools' access and slow logs may go
	// HelperDir is where poolvisor installs the PHP script that /fpm
	// opcache runs through a pool's socket: root's, 0755, outside every
	// web root.
	HelperDir      string   `mapstructure:"helper_dir" yaml:"helper_dir"`
	ProtectedPools []string `mapstructure:"protected_pools" yaml:"protected_pools"`
	// MemoryBudgetMB is the memory /fpm tune shares among the pools, in
	// MB; 0: measured on the host (SPEC §6).
	MemoryBudgetMB int `mapstructure:"memory_budget_mb" yaml:"memory_budget_mb"`
	// EditMainConfig lets poolvisor edit pools defined in php-fpm.conf
	// itself (default false: shown and controlled, not edited).
	EditMainConfig bool         `mapstructure:"edit_main_config" yaml:"edit_main_config"`
	Defaults       PoolDefaults `mapstructure:"defaults" yaml:"defaults"`
	Service        FPMService   `mapstructure:"service" yaml:"service"`
	// Instances lists several PHP-FPM installations (SPEC §6), instead of
	// the single-instance keys above; DefaultInstance names the one a
	// command without --php concerns, required when there are several.
	Instances       []FPMInstance `mapstructure:"instances" yaml:"instances"`
	DefaultInstance string        `mapstructure:"default_instance" yaml:"default_instance"`
}

// FPMInstance is one PHP-FPM installation of phpfpm.instances: the
// single-instance keys of phpfpm plus the Name that --php takes. Keys left
// out take the defaults of the single-instance keys.
type FPMInstance struct {
	Name           string   `mapstructure:"name" yaml:"name"` // default: the version
	Version        string   `mapstructure:"version" yaml:"version"`
	Binary         string   `mapstructure:"binary" yaml:"binary"`
	MainConfig     string   `mapstructure:"main_config" yaml:"main_config"`
	PoolDir        string   `mapstructure:"pool_dir" yaml:"pool_dir"`
	SocketDir      string   `mapstructure:"socket_dir" yaml:"socket_dir"`
	LogDir         string   `mapstructure:"log_dir" yaml:"log_dir"`
	HelperDir      string   `mapstructure:"helper_dir" yaml:"helper_dir"`
	ProtectedPools []string `mapstructure:"protected_pools" yaml:"protected_pools"`
	// MemoryBudgetMB is the memory /fpm tune shares among the pools, in
	// MB; 0: measured on the host (SPEC §6).
	MemoryBudgetMB int `mapstructure:"memory_budget_mb" yaml:"memory_budget_mb"`
	// EditMainConfig lets poolvisor edit pools defined in php-fpm.conf
	// itself (default false: shown and controlled, not edited).
	EditMainConfig bool         `mapstructure:"edit_main_config" yaml:"edit_main_config"`
	Defaults       PoolDefaults `mapstructure:"defaults" yaml:"defaults"`
	Service        FPMService   `mapstructure:"service" yaml:"service"`
}

// PoolDefaults are the values a new pool gets unless the request sets them.
type PoolDefaults struct {
	User  string `mapstructure:"user" yaml:"user"`
	Group string `mapstructure:"group" yaml:"group"`
}

// FPMService says how php-fpm is reloaded, restarted and queried.
type FPMService struct {
	Mode           string `mapstructure:"mode" yaml:"mode"` // systemd | signal | command
	Unit           string `mapstructure:"unit" yaml:"unit"`
	PIDFile        string `mapstructure:"pid_file" yaml:"pid_file"`
	ReloadCommand  string `mapstructure:"reload_command" yaml:"reload_command"`
	RestartCommand string `mapstructure:"restart_command" yaml:"restart_command"`
	StatusCommand  string `mapstructure:"status_command" yaml:"status_command"`
}

// Supervisor configures the Supervisor backend.
type Supervisor struct {
	Enabled      bool   `mapstructure:"enabled" yaml:"enabled"`
	URL          string `mapstructure:"url" yaml:"url"` // unix:///path or http://host:port
	Username     string `mapstructure:"username" yaml:"username"`
	Password     string `mapstructure:"password" yaml:"password" secret:"true"`
	PasswordFile string `mapstructure:"password_file" yaml:"password_file"`
	ConfigFile   string `mapstructure:"config_file" yaml:"config_file"`
	ProgramDir   string `mapstructure:"program_dir" yaml:"program_dir"`
	LogDir       string `mapstructure:"log_dir" yaml:"log_dir"`
	// Check is required (supervisord's own config loader judges every
	// write; a host without it refuses writes) or skip (unsafe).
	Check string `mapstructure:"check" yaml:"check"`
	// Writable lists the globs of the files poolvisor may write programs
	// in; empty: the files supervisord's [include] section names. A file
	// matches by its real path, symbolic links resolved.
	Writable []string `mapstructure:"writable" yaml:"writable"`
	// EditMainConfig lets poolvisor edit programs defined in config_file
	// itself, whatever Writable says.
	EditMainConfig bool `mapstructure:"edit_main_config" yaml:"edit_main_config"`
}

// Slack configures the Slack adapter.
type Slack struct {
	Enabled           bool   `mapstructure:"enabled" yaml:"enabled"`
	Mode              string `mapstructure:"mode" yaml:"mode"` // socket | http
	BotToken          string `mapstructure:"bot_token" yaml:"bot_token" secret:"true"`
	BotTokenFile      string `mapstructure:"bot_token_file" yaml:"bot_token_file"`
	AppToken          string `mapstructure:"app_token" yaml:"app_token" secret:"true"`
	AppTokenFile      string `mapstructure:"app_token_file" yaml:"app_token_file"`
	SigningSecret     string `mapstructure:"signing_secret" yaml:"signing_secret" secret:"true"`
	SigningSecretFile string `mapstructure:"signing_secret_file" yaml:"signing_secret_file"`
	APIURL            string `mapstructure:"api_url" yaml:"api_url"`
	NotifyChannel     string `mapstructure:"notify_channel" yaml:"notify_channel"`
}

// Discord configures the Discord adapter.
type Discord struct {
	Enabled         bool     `mapstructure:"enabled" yaml:"enabled"`
	Mode            string   `mapstructure:"mode" yaml:"mode"` // gateway | http
	BotToken        string   `mapstructure:"bot_token" yaml:"bot_token" secret:"true"`
	BotTokenFile    string   `mapstructure:"bot_token_file" yaml:"bot_token_file"`
	ApplicationID   string   `mapstructure:"application_id" yaml:"application_id"`
	PublicKey       string   `mapstructure:"public_key" yaml:"public_key"` // hex Ed25519 key
	GuildIDs        []string `mapstructure:"guild_ids" yaml:"guild_ids"`
	APIURL          string   `mapstructure:"api_url" yaml:"api_url"`
	NotifyChannelID string   `mapstructure:"notify_channel_id" yaml:"notify_channel_id"`
}

// DefaultSocket is where serve listens for exec and console (local.socket),
// and where they look for it before reading any config.
const DefaultSocket = "/run/poolvisor/poolvisor.sock"

// Local configures the local adapter (exec and console) and the socket
// through which they reach a running serve.
type Local struct {
	AllowImpersonation bool `mapstructure:"allow_impersonation" yaml:"allow_impersonation"`
	// Socket is the Unix socket serve listens on; "" for none.
	Socket string `mapstructure:"socket" yaml:"socket"`
	// SocketGroup owns the socket (mode 0660): its members may connect.
	// "" leaves it serve's own group.
	SocketGroup string `mapstructure:"socket_group" yaml:"socket_group"`
}

// RBAC maps roles to permissions and people to roles.
type RBAC struct {
	// Roles maps a role name to its permissions: operation names, "*",
	// "prefix.*" wildcards, or names of other roles it includes.
	Roles    map[string][]string `mapstructure:"roles" yaml:"roles"`
	Bindings []Binding           `mapstructure:"bindings" yaml:"bindings"`
	// People maps a person's name to their identities on each platform.
	People map[string]Person `mapstructure:"people" yaml:"people"`
	// MaxGrant bounds the DURATION of /ops grant and /ops breakglass.
	MaxGrant time.Duration `mapstructure:"max_grant" yaml:"max_grant"`
	// GrantReminder is how long before a grant or break-glass session
	// ends its holder is reminded, privately.
	GrantReminder time.Duration `mapstructure:"grant_reminder" yaml:"grant_reminder"`
}

// Person is one person's identities, by platform (slack, discord, local:
// see Identities): self-approval and "another approver" are judged per
// person, not per identity.
type Person map[string][]string

// Binding grants Role to everyone it lists, by immutable ID. Its other
// keys are each platform's lists, named in Identities (slack_users,
// slack_usergroups, discord_users, discord_roles, local_users).
type Binding struct {
	Role    string              `mapstructure:"role" yaml:"role"`
	Members map[string][]string `mapstructure:",remain" yaml:",inline"`
}

// Approvals is the approval policy.
type Approvals struct {
	Required          []string      `mapstructure:"required" yaml:"required"` // operations that wait for a second person
	ApproverRoles     []string      `mapstructure:"approver_roles" yaml:"approver_roles"`
	AllowSelfApproval bool          `mapstructure:"allow_self_approval" yaml:"allow_self_approval"`
	TTL               time.Duration `mapstructure:"ttl" yaml:"ttl"`
	// MaxPendingPerPerson caps the requests one person may have waiting.
	MaxPendingPerPerson int `mapstructure:"max_pending_per_person" yaml:"max_pending_per_person"`
	// Retention is how long decided and expired requests are kept.
	Retention time.Duration `mapstructure:"retention" yaml:"retention"`
}

// Policy is the write policy (SPEC §6): what a write role can make the
// daemons, running as root, do.
type Policy struct {
	ProgramUsers []string `mapstructure:"program_users" yaml:"program_users"` // user= values a program may run as
	WritableDirs []string `mapstructure:"writable_dirs" yaml:"writable_dirs"` // more dirs the daemons may write in
	FPMTCP       string   `mapstructure:"fpm_tcp" yaml:"fpm_tcp"`             // loopback | any
}

// History configures the versions kept of every file poolvisor writes.
type History struct {
	Keep int `mapstructure:"keep" yaml:"keep"` // versions kept per file
}

// Audit configures how long the audit trail stays in the database; older
// entries are exported to a dated archive file in data_dir, then deleted.
type Audit struct {
	Retention time.Duration `mapstructure:"retention" yaml:"retention"`
}

// Alerts says which program troubles are posted to the notify channels.
type Alerts struct {
	Enabled        bool          `mapstructure:"enabled" yaml:"enabled"`
	States         []string      `mapstructure:"states" yaml:"states"`                   // FATAL, BACKOFF
	UnexpectedExit bool          `mapstructure:"unexpected_exit" yaml:"unexpected_exit"` // an exit supervisord calls unexpected
	FlapWindow     time.Duration `mapstructure:"flap_window" yaml:"flap_window"`         // troubles within it update one message
	Mute           []string      `mapstructure:"mute" yaml:"mute"`                       // programs never alerted: NAME or GROUP:*
	QuietHours     string        `mapstructure:"quiet_hours" yaml:"quiet_hours"`         // "HH:MM-HH:MM", local time: only FATAL then
	StableAfter    time.Duration `mapstructure:"stable_after" yaml:"stable_after"`       // RUNNING this long closes an incident as recovered
	UpdateInterval time.Duration `mapstructure:"update_interval" yaml:"update_interval"` // shortest time between two edits of one alert
	PoolInterval   time.Duration `mapstructure:"pool_interval" yaml:"pool_interval"`     // how often PHP-FPM's status pages are read for saturation
	MaxPosts       int           `mapstructure:"max_posts" yaml:"max_posts"`             // new alert messages per post_window per channel
	PostWindow     time.Duration `mapstructure:"post_window" yaml:"post_window"`         // the window of max_posts
}

// NATS is the fleet transport.
type NATS struct {
	URL             string `mapstructure:"url" yaml:"url"`
	CredentialsFile string `mapstructure:"credentials_file" yaml:"credentials_file"`
	TLS             TLS    `mapstructure:"tls" yaml:"tls"`
}

// TLS holds the files for a TLS client.
type TLS struct {
	CAFile   string `mapstructure:"ca_file" yaml:"ca_file"`
	CertFile string `mapstructure:"cert_file" yaml:"cert_file"`
	KeyFile  string `mapstructure:"key_file" yaml:"key_file"`
}

// Fleet configures signing between hub and agents: the hub signs its
// requests with its key, each agent what it sends with its own.
type Fleet struct {
	HubKeyFile   string `mapstructure:"hub_key_file" yaml:"hub_key_file"`
	HubPublicKey string `mapstructure:"hub_public_key" yaml:"hub_public_key"`
	// AgentKeyFile is an agent's own private key; AgentKeys, on the hub,
	// pins each host's public key (host -> hex).
	AgentKeyFile   string            `mapstructure:"agent_key_file" yaml:"agent_key_file"`
	AgentKeys      map[string]string `mapstructure:"agent_keys" yaml:"agent_keys"`
	RequestTimeout time.Duration     `mapstructure:"request_timeout" yaml:"request_timeout"`
}
