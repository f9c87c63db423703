package discord

import (
	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ chat.Platform = (*Adapter)(nil)

// Name is "discord".
func (a *Adapter) Name() string { return "discord" }

// Mode is Config.Mode: ModeHTTP or ModeGateway.
func (a *Adapter) Mode() string { return a.cfg.Mode }

// Routes is the interactions endpoint, mounted in either mode.
func (a *Adapter) Routes() []chat.Route {
	return []chat.Route{{Pattern: "POST /discord/interactions", Handler: a.Handler()}}
}

// Alerts posts to the notify channel through the adapter's messages, or
// is nil without a notify channel.
func (a *Adapter) Alerts() alert.Notifier { return chat.NotifierFor(a.cfg.NotifyChannelID, a) }
