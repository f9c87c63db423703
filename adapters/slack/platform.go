package slack

import (
	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ chat.Platform = (*Adapter)(nil)

// Name is "slack".
func (a *Adapter) Name() string { return "slack" }

// Mode is Config.Mode: ModeHTTP or ModeSocket.
func (a *Adapter) Mode() string { return a.cfg.Mode }

// Routes are the slash command and interactivity endpoints in HTTP mode;
// Socket Mode serves none.
func (a *Adapter) Routes() []chat.Route {
	if a.cfg.Mode != ModeHTTP {
		return nil
	}
	return []chat.Route{
		{Pattern: "POST /slack/commands", Handler: a.CommandsHandler()},
		{Pattern: "POST /slack/interactions", Handler: a.InteractionsHandler()},
	}
}

// Alerts posts to the notify channel through the adapter's messages, or
// is nil without a notify channel.
func (a *Adapter) Alerts() alert.Notifier { return chat.NotifierFor(a.cfg.NotifyChannel, a) }
