package mattermost

import (
	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

var (
	_ chat.Platform  = (*Adapter)(nil)
	_ alert.Notifier = (*Adapter)(nil)
)

// Name is "mattermost".
func (a *Adapter) Name() string { return "mattermost" }

// Mode is ModeHTTP or ModeWebsocket.
func (a *Adapter) Mode() string { return a.cfg.Mode }

// Routes are the slash command, button and dialog endpoints.
func (a *Adapter) Routes() []chat.Route {
	routes := []chat.Route{{Pattern: "POST " + commandsPath, Handler: a.commandHandler()}}
	if a.actionURL == "" {
		// Websocket mode without public_url: no button or dialog was
		// given out, and there is no action secret to check one with.
		return routes
	}
	return append(routes,
		chat.Route{Pattern: "POST " + actionsPath, Handler: a.actionHandler()},
		chat.Route{Pattern: "POST " + dialogsPath, Handler: a.dialogHandler()})
}

// Alerts is the adapter when it has a notify channel, nil otherwise.
func (a *Adapter) Alerts() alert.Notifier {
	if a.cfg.NotifyChannelID == "" {
		return nil
	}
	return a
}

// Health is ok until a call to Mattermost's REST API fails for a reason
// that is not the one request's (the server unreachable or failing, the
// bot token refused); the next call that succeeds makes it ok again.
func (a *Adapter) Health() ops.Component {
	if err := a.health.err(); err != nil {
		return ops.Component{Name: "mattermost", OK: false, Info: "REST API: " + err.Error()}
	}
	if a.cfg.Mode == ModeWebsocket {
		if up, err := a.ws.Status(); !up {
			return ops.Component{Name: "mattermost", OK: false, Info: "websocket: " + err.Error()}
		}
	}
	return ops.Component{Name: "mattermost", OK: true, Info: a.cfg.Mode}
}
