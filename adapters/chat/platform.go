// Package chat holds what every chat platform shares: the Platform seam
// that internal/app wires from a list, and the pieces of behaviour (claiming
// deliveries, recognising decisions, quoting commands) that Slack and
// Discord would otherwise each carry a copy of. A platform's own package
// keeps only its wire format, signatures, limits and rendering.
package chat

import (
	"context"
	"net/http"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Platform is a chat platform as internal/app runs it. An adapter is built
// from its config section; serve mounts its Routes and runs it, exec and
// console only relay approvals through it.
type Platform interface {
	// Name is the platform's name in logs, metrics and alert routing.
	Name() string
	// Mode is how it reaches the platform (e.g. "http", "socket",
	// "gateway"), for the log.
	Mode() string
	// Routes are the HTTP endpoints it serves; none when it holds a
	// connection of its own instead.
	Routes() []Route
	// Run serves until ctx ends, then lets work in flight finish.
	Run(ctx context.Context) error
	// Relay brings an approval requested or decided outside chat into
	// the platform's messages.
	Relay(ctx context.Context, res ops.Result, by ops.Actor)
	// Alerts is where alerts are posted and updated, or nil when the
	// platform has no notify channel.
	Alerts() alert.Notifier
	// Health reports its connection for /healthz.
	Health() ops.Component
}

// Route is one HTTP endpoint of a platform.
type Route struct {
	Pattern string // as http.ServeMux takes it, e.g. "POST /slack/commands"
	Handler http.Handler
}
