package config

import (
	"regexp"
	"sync"
)

// Mattermost configures the Mattermost adapter (SPEC §6).
type Mattermost struct {
	Enabled bool   `mapstructure:"enabled" yaml:"enabled"`
	Mode    string `mapstructure:"mode" yaml:"mode"` // http | websocket
	// URL is the Mattermost server, like https://chat.example.com: the
	// REST API is under /api/v4.
	URL          string `mapstructure:"url" yaml:"url"`
	BotToken     string `mapstructure:"bot_token" yaml:"bot_token" secret:"true"`
	BotTokenFile string `mapstructure:"bot_token_file" yaml:"bot_token_file"`
	// CommandTokens are the tokens Mattermost gives each slash command;
	// a request is the command's only when it carries its token.
	CommandTokens MattermostCommandTokens `mapstructure:"command_tokens" yaml:"command_tokens"`
	// ActionSecret signs the context of buttons: Mattermost does not sign
	// the callbacks of interactive messages, so poolvisor signs what it
	// put in them and believes nothing else.
	ActionSecret     string `mapstructure:"action_secret" yaml:"action_secret" secret:"true"`
	ActionSecretFile string `mapstructure:"action_secret_file" yaml:"action_secret_file"`
	NotifyChannelID  string `mapstructure:"notify_channel_id" yaml:"notify_channel_id"`
	// PublicURL is poolvisor as the Mattermost server reaches it: a
	// button's integration URL is PublicURL/mattermost/actions. Mattermost
	// tells an integration nothing of where it reached it, and alerts are
	// posted with no request to learn it from.
	PublicURL string `mapstructure:"public_url" yaml:"public_url"`
}

// MattermostCommandTokens are the tokens of the three slash commands.
type MattermostCommandTokens struct {
	FPM            string `mapstructure:"fpm" yaml:"fpm" secret:"true"`
	FPMFile        string `mapstructure:"fpm_file" yaml:"fpm_file"`
	Supervisor     string `mapstructure:"supervisor" yaml:"supervisor" secret:"true"`
	SupervisorFile string `mapstructure:"supervisor_file" yaml:"supervisor_file"`
	Ops            string `mapstructure:"ops" yaml:"ops" secret:"true"`
	OpsFile        string `mapstructure:"ops_file" yaml:"ops_file"`
}

// mattermostIDRE matches a Mattermost ID: 26 lower-case letters and digits
// (users, groups, channels, posts alike).
var mattermostIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]{26}$`) })

// minActionSecret is the shortest action_secret accepted: it is an HMAC
// key, and a guessable one would let anyone forge a click.
const minActionSecret = 32

func (c *Config) validateMattermost(p *problems) {
	m := c.Mattermost
	oneOf(p, "mattermost.mode", m.Mode, "http", "websocket")
	apiURL(p, "mattermost.url", m.URL)
	apiURL(p, "mattermost.public_url", m.PublicURL)
	if m.NotifyChannelID != "" && !mattermostIDRE().MatchString(m.NotifyChannelID) {
		p.add("mattermost.notify_channel_id", "%q is not a Mattermost channel ID (26 lower-case letters and digits)", m.NotifyChannelID)
	}
	if !m.Enabled {
		return
	}
	ws := m.Mode == "websocket"
	if m.URL == "" {
		p.add("mattermost.url", "is required when mattermost is enabled (the server, like https://chat.example.com)")
	}
	if m.PublicURL == "" && !ws {
		p.add("mattermost.public_url", "is required when mattermost is enabled: poolvisor's URL as the Mattermost server reaches it, for the buttons (or use mode: websocket)")
	}
	if m.BotToken == "" {
		p.add("mattermost.bot_token", "is required when mattermost is enabled (or set mattermost.bot_token_file)")
	}
	t := m.CommandTokens
	if t.FPM == "" && t.Supervisor == "" && t.Ops == "" && !ws {
		p.add("mattermost.command_tokens", "names no token: set the token of each slash command (/fpm, /supervisor, /ops) you created")
	}
	// In websocket mode, posts come over the bot's own connection; slash
	// commands, buttons and dialogs still come over HTTP, and only when
	// Mattermost can reach poolvisor at public_url.
	if ws && m.PublicURL == "" {
		return
	}
	if len(m.ActionSecret) < minActionSecret {
		p.add("mattermost.action_secret", "must be at least %d characters (or set mattermost.action_secret_file): it signs the buttons' context", minActionSecret)
	}
	if c.Listen == "" {
		p.add("listen", "is required: mattermost receives slash commands and button clicks over HTTP (mode: websocket without public_url needs none)")
	}
}
