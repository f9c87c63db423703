package config

import (
	"encoding/hex"
	"fmt"
	"github.com/poolvisor/poolvisor/internal/alert"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	phpVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+\.[0-9]+$`) })
	poolNameRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`) })
)

// Validate checks every value and returns all problems joined, each a
// *KeyError naming its key. It has no side effects: it reads no files and
// resolves no "auto" values.
func (c *Config) Validate() error {
	var p problems
	c.validateCore(&p)
	c.validatePHPFPM(&p)
	c.validateSupervisor(&p)
	c.validateSlack(&p)
	c.validateDiscord(&p)
	c.validateMattermost(&p)
	c.validateRBAC(&p)
	c.validateApprovals(&p)
	c.validatePolicy(&p)
	c.validateFleet(&p)
	return p.err()
}

func (c *Config) validateCore(p *problems) {
	if c.Host == "" {
		p.add("host", "is required (the host name could not be found)")
	} else if strings.ContainsAny(c.Host, " \t\r\n") {
		p.add("host", "%q contains white space", c.Host)
	}
	oneOf(p, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(p, "log.format", c.Log.Format, "text", "json")
	if c.DataDir == "" {
		p.add("data_dir", "is required")
	}
	if c.Listen != "" {
		if err := checkHostPort(c.Listen, true); err != "" {
			p.add("listen", "%q %s; use host:port like 127.0.0.1:8080, or empty for no HTTP server", c.Listen, err)
		}
	}
	oneOf(p, "mode", c.Mode, "standalone", "hub", "agent")
	if s := c.Local.Socket; s != "" && !path.IsAbs(s) {
		p.add("local.socket", "%q is not an absolute path; use one like %s, or empty for no socket", s, DefaultSocket)
	}
	if g := c.Local.SocketGroup; g != "" && !localNameRE().MatchString(g) {
		p.add("local.socket_group", "%q is not a unix group name", g)
	}
	for i, st := range c.Alerts.States {
		if st != "FATAL" && st != "BACKOFF" && st != "EXITED" {
			p.add(fmt.Sprintf("alerts.states[%d]", i), "%q: alerts can be raised for FATAL, BACKOFF or EXITED", st)
		}
	}
	if c.Alerts.FlapWindow <= 0 {
		p.add("alerts.flap_window", "must be positive, like 10m")
	}
	if c.Alerts.StableAfter <= 0 {
		p.add("alerts.stable_after", "must be positive, like 2m")
	}
	if c.Alerts.UpdateInterval <= 0 {
		p.add("alerts.update_interval", "must be positive, like 5s")
	}
	if c.Alerts.PoolInterval < time.Second {
		p.add("alerts.pool_interval", "is %s; read the pools' status at most once a second, like 30s", c.Alerts.PoolInterval)
	}
	if c.Alerts.MaxPosts < 1 {
		p.add("alerts.max_posts", "is %d; allow at least 1 new alert message per post_window", c.Alerts.MaxPosts)
	}
	if c.Alerts.PostWindow <= 0 {
		p.add("alerts.post_window", "must be positive, like 1m")
	}
	c.validateMaintenance(p)
	if q := c.Alerts.QuietHours; q != "" {
		if _, _, ok := alert.ParseQuietHours(q); !ok {
			p.add("alerts.quiet_hours", "%q is not a window like 22:00-06:00", q)
		}
	}
	if c.Audit.Retention < 24*time.Hour {
		p.add("audit.retention", "is %s; keep the audit trail at least a day (24h), like 8760h for a year", c.Audit.Retention)
	}
	if c.History.Keep < 2 {
		p.add("history.keep", "is %d; keep at least 2 versions of each file, so a change can be rolled back", c.History.Keep)
	}
}

func (c *Config) validateSupervisor(p *problems) {
	s := c.Supervisor
	switch {
	case s.URL == "" && s.Enabled:
		p.add("supervisor.url", "is required")
	case s.URL != "":
		if msg := checkSupervisorURL(s.URL); msg != "" {
			p.add("supervisor.url", "%s", msg)
		}
	}
	absPath(p, "supervisor.config_file", s.ConfigFile, false)
	absPath(p, "supervisor.program_dir", s.ProgramDir, false)
	absPath(p, "supervisor.log_dir", s.LogDir, false)
	oneOf(p, "supervisor.check", s.Check, "required", "skip")
	for i, g := range s.Writable {
		key := fmt.Sprintf("supervisor.writable[%d]", i)
		switch _, err := path.Match(g, ""); {
		case !path.IsAbs(g):
			p.add(key, "%q is not an absolute path or glob", g)
		case err != nil:
			p.add(key, "%q is not a valid glob: %v", g, err)
		}
	}
}

func checkSupervisorURL(s string) string {
	const want = "use unix:///absolute/path.sock or http://host:port"
	u, err := url.Parse(s)
	if err != nil {
		return "is not a URL; " + want
	}
	switch u.Scheme {
	case "unix":
		if u.Host != "" || !path.IsAbs(u.Path) {
			return "a unix socket needs an absolute path after unix://; " + want
		}
	case "http", "https":
		if u.User != nil {
			return "must not hold credentials; set supervisor.username and supervisor.password"
		}
		if msg := checkHostPort(u.Host, false); msg != "" || u.Hostname() == "" {
			return strconv.Quote(u.Host) + " is not host:port; " + want
		}
	default:
		return "unknown scheme " + strconv.Quote(u.Scheme) + "; " + want
	}
	return ""
}

func (c *Config) validateSlack(p *problems) {
	s := c.Slack
	oneOf(p, "slack.mode", s.Mode, "socket", "http")
	apiURL(p, "slack.api_url", s.APIURL)
	if !s.Enabled {
		return
	}
	if s.BotToken == "" {
		p.add("slack.bot_token", "is required when slack is enabled (or set slack.bot_token_file)")
	}
	if s.Mode == "socket" && s.AppToken == "" {
		p.add("slack.app_token", "is required in socket mode (or set slack.app_token_file)")
	}
	if s.Mode == "http" && s.SigningSecret == "" {
		p.add("slack.signing_secret", "is required in http mode (or set slack.signing_secret_file)")
	}
	if s.Mode == "http" && c.Listen == "" {
		p.add("listen", "is required: slack.mode http receives requests over HTTP")
	}
}

func (c *Config) validateDiscord(p *problems) {
	d := c.Discord
	oneOf(p, "discord.mode", d.Mode, "gateway", "http")
	apiURL(p, "discord.api_url", d.APIURL)
	if d.ApplicationID != "" {
		snowflake(p, "discord.application_id", d.ApplicationID)
	}
	if d.PublicKey != "" && !isHexKey(d.PublicKey) {
		p.add("discord.public_key", "must be 64 hexadecimal characters (the application's public key)")
	}
	for i, id := range d.GuildIDs {
		snowflake(p, indexKey("discord.guild_ids", i), id)
	}
	if d.NotifyChannelID != "" {
		snowflake(p, "discord.notify_channel_id", d.NotifyChannelID)
	}
	if !d.Enabled {
		return
	}
	if d.BotToken == "" {
		p.add("discord.bot_token", "is required when discord is enabled (or set discord.bot_token_file)")
	}
	if d.ApplicationID == "" {
		p.add("discord.application_id", "is required when discord is enabled")
	}
	// Gateway mode needs only the bot token: it connects out. HTTP mode
	// receives signed requests, so it needs the key and a listen address.
	if d.Mode == "http" && d.PublicKey == "" {
		p.add("discord.public_key", "is required in http mode (the application's Public Key); or use discord.mode: gateway, which needs none")
	}
	if d.Mode == "http" && c.Listen == "" {
		p.add("listen", "is required: discord.mode http receives requests over HTTP")
	}
}

// oneOf records a problem unless val is one of allowed.
func oneOf(p *problems, key, val string, allowed ...string) {
	if !slices.Contains(allowed, val) {
		p.add(key, "invalid value %q; use one of %s", val, strings.Join(allowed, ", "))
	}
}

// absPath records a problem unless val is empty, an absolute path, or
// (with auto) the word auto.
func absPath(p *problems, key, val string, auto bool) {
	if val == "" || path.IsAbs(val) || (auto && val == "auto") {
		return
	}
	if auto {
		p.add(key, "%q is not an absolute path; use auto or an absolute path", val)
	} else {
		p.add(key, "%q is not an absolute path", val)
	}
}

// checkHostPort returns what is wrong with a host:port, or "". Port 0 (any
// free port) is allowed only where zeroOK.
func checkHostPort(s string, zeroOK bool) string {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return "is not host:port"
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || (n == 0 && !zeroOK) {
		return "has an invalid port"
	}
	return ""
}

func apiURL(p *problems, key, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(key, "%q is not an http(s) URL", s)
	}
}

func isHexKey(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}

func indexKey(key string, i int) string { return key + "[" + strconv.Itoa(i) + "]" }

func (c *Config) validatePolicy(p *problems) {
	for i, u := range c.Policy.ProgramUsers {
		if u == "" || strings.ContainsAny(u, " \t\r\n:;#%=") {
			p.add(indexKey("policy.program_users", i), "%q is not a user name", u)
		}
	}
	for i, d := range c.Policy.WritableDirs {
		key := indexKey("policy.writable_dirs", i)
		absPath(p, key, d, false)
		if path.Clean(d) == "/" {
			p.add(key, "is /: that would let a write role have root write anywhere")
		}
	}
	oneOf(p, "policy.fpm_tcp", c.Policy.FPMTCP, "loopback", "any")
}
