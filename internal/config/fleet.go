package config

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// validateFleet checks the fleet keys and what hub and agent modes need.
func (c *Config) validateFleet(p *problems) {
	if c.NATS.URL != "" {
		for part := range strings.SplitSeq(c.NATS.URL, ",") {
			// The URL may hold a token, so the message does not quote it.
			u, err := url.Parse(strings.TrimSpace(part))
			if err != nil || !isNATSScheme(u.Scheme) || u.Host == "" {
				p.add("nats.url", "is not a NATS URL; use nats://host:port (or tls://, ws://, wss://), comma-separated for several servers")
				break
			}
		}
	}
	t := c.NATS.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.add("nats.tls", "cert_file and key_file go together; set both or neither")
	}
	absPath(p, "nats.credentials_file", c.NATS.CredentialsFile, false)
	absPath(p, "nats.tls.ca_file", t.CAFile, false)
	absPath(p, "nats.tls.cert_file", t.CertFile, false)
	absPath(p, "nats.tls.key_file", t.KeyFile, false)

	f := c.Fleet
	absPath(p, "fleet.hub_key_file", f.HubKeyFile, false)
	absPath(p, "fleet.agent_key_file", f.AgentKeyFile, false)
	if f.HubPublicKey != "" && !isHexKey(f.HubPublicKey) {
		p.add("fleet.hub_public_key", "must be 64 hexadecimal characters (as printed by poolvisor keygen)")
	}
	for _, host := range slices.Sorted(maps.Keys(f.AgentKeys)) {
		key := "fleet.agent_keys." + host
		if !hostNameRE().MatchString(host) {
			p.add(key, "%q is not a host name (letters, digits, '.', '_', '-')", host)
		} else if !isHexKey(f.AgentKeys[host]) {
			p.add(key, "must be 64 hexadecimal characters: the public key poolvisor keygen printed on that host")
		}
	}
	if f.RequestTimeout <= 0 {
		p.add("fleet.request_timeout", "must be more than zero, like 2s")
	}
	switch c.Mode {
	case "hub":
		if f.HubKeyFile == "" {
			p.add("fleet.hub_key_file", "is required in hub mode: the hub signs every request")
		}
		c.validatePins(p)
	case "agent":
		if f.HubPublicKey == "" {
			p.add("fleet.hub_public_key", "is required in agent mode: the agent refuses unsigned requests")
		}
		if f.AgentKeyFile == "" {
			p.add("fleet.agent_key_file", "is required in agent mode: the agent signs its answers and alerts, and the hub believes nothing else")
		}
	}
	if (c.Mode == "hub" || c.Mode == "agent") && c.NATS.URL == "" {
		p.add("nats.url", "is required in %s mode", c.Mode)
	}

	if c.Mode == "agent" {
		if !hostNameRE().MatchString(c.Host) {
			p.add("host", "%q is not a host name the hub can address (letters, digits, '.', '_', '-')", c.Host)
		}
		if c.Slack.Enabled {
			p.add("slack.enabled", "must be false in agent mode: the hub talks to Slack; an agent holds no chat credentials")
		}
		if c.Discord.Enabled {
			p.add("discord.enabled", "must be false in agent mode: the hub talks to Discord; an agent holds no chat credentials")
		}
		if c.Mattermost.Enabled {
			p.add("mattermost.enabled", "must be false in agent mode: the hub talks to Mattermost; an agent holds no chat credentials")
		}
	}
	if c.DefaultHost == "" {
		p.add("default_host", "is required")
	} else if !hostNameRE().MatchString(c.DefaultHost) {
		p.add("default_host", "%q is not a host name (letters, digits, '.', '_', '-')", c.DefaultHost)
	}
	for _, group := range slices.Sorted(maps.Keys(c.HostGroups)) {
		key, hosts := "host_groups."+group, c.HostGroups[group]
		if group == "all" {
			p.add(key, `"all" is reserved for every host`)
		}
		if len(hosts) == 0 {
			p.add(key, "lists no host")
		}
		for i, h := range hosts {
			if !hostNameRE().MatchString(h) {
				p.add(indexKey(key, i), "%q is not a host name (letters, digits, '.', '_', '-')", h)
			}
		}
	}
	for _, channel := range slices.Sorted(maps.Keys(c.Channels)) {
		if t := c.Channels[channel]; t == "" {
			p.add("channels."+channel, "names no host")
		} else if !hostNameRE().MatchString(t) {
			p.add("channels."+channel, "%q is not a host name or group", t)
		}
	}
}

// validatePins checks, on a hub, that every host the config names has a
// pinned key: the hub drops whatever a host without one sends.
func (c *Config) validatePins(p *problems) {
	if len(c.Fleet.AgentKeys) == 0 {
		p.add("fleet.agent_keys", "is required in hub mode: each host's public key (host: hex), from poolvisor keygen on that host")
		return
	}
	need := func(key, host string) {
		if _, ok := c.Fleet.AgentKeys[host]; !ok && hostNameRE().MatchString(host) {
			p.add(key, "host %q has no key in fleet.agent_keys, so the hub would believe nothing it sends", host)
		}
	}
	if c.DefaultHost != "" {
		need("default_host", c.DefaultHost)
	}
	for _, group := range slices.Sorted(maps.Keys(c.HostGroups)) {
		for i, h := range c.HostGroups[group] {
			need(indexKey("host_groups."+group, i), h)
		}
	}
	for _, channel := range slices.Sorted(maps.Keys(c.Channels)) {
		if t := c.Channels[channel]; c.HostGroups[t] == nil && t != "all" && t != "" {
			need("channels."+channel, t)
		}
	}
}

// hostNameRE is what a fleet host may be called: it is part of NATS subjects.
var hostNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`) })

func isNATSScheme(s string) bool {
	return s == "nats" || s == "tls" || s == "ws" || s == "wss"
}
