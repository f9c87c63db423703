// Package app wires poolvisor together: it builds the backends, the stores and
// the pipeline from the configuration, runs the subcommands, and owns the
// process lifecycle (signals, shutdown).
package app

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/fleet"
	"github.com/poolvisor/poolvisor/internal/grants"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/lease"
	"github.com/poolvisor/poolvisor/internal/maintenance"
	"github.com/poolvisor/poolvisor/internal/metrics"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
	"github.com/poolvisor/poolvisor/internal/runs"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
	"github.com/poolvisor/poolvisor/internal/supervisor"
)

// AuditFile is the JSON-lines mirror of the audit trail, in the data directory.
const AuditFile = "audit.jsonl"

// App is one built poolvisor: its pipeline and what the pipeline stands on.
type App struct {
	Config     *config.Config
	Log        *slog.Logger
	Pipeline   *ops.Pipeline
	Supervisor *supervisor.Backend // nil when disabled
	FPM        *phpfpm.Backend     // the default PHP-FPM instance; nil when disabled, not found or off
	// FPMInstances are every PHP-FPM instance (SPEC §6), the default one
	// included; nil when PHP-FPM is disabled or none was found.
	FPMInstances *phpfpm.Instances
	Metrics      *metrics.Metrics
	Alerts       *alert.Engine          // nil when alerts are off; chat adapters add themselves with AddNotifier
	Hub          *fleet.Hub             // in hub mode: routes operations to the agents
	backends     []ops.Backend          // every backend of the list, off ones included; none on a hub
	chatHealth   []func() ops.Component // the chat connections serve runs
	db           *sql.DB
	lease        *lease.Lease // this process's, in the data directory
	approvals    *approval.Store
	trail        *audit.Log
	grants       *grants.Store
	maint        *maintenance.Store // windows and mutes

	notifyMu  sync.Mutex
	notifiers []alert.Notifier               // every platform's with a notify channel, for announce
	directs   map[string]chat.DirectMessager // by platform: who can tell a grant's holder privately

	holdMu sync.Mutex
	holds  []*maintenance.Hold // around each notifier, for checkHolds

	version string // announced by a fleet agent

	natsMu sync.Mutex
	nc     *nats.Conn // fleet mode's connection
}

// Option changes how New builds an App.
type Option func(*options)

type options struct {
	serving bool
	version string
}

// Serving builds the App for serve: a hub that cannot reach NATS at once
// keeps trying in the background instead of failing.
func Serving() Option { return func(o *options) { o.serving = true } }

// WithVersion is poolvisor's version, as a fleet agent announces it to the
// hub (default "dev").
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// New builds an App from a loaded, validated config. In hub mode it
// connects to NATS; the App's pipeline then routes operations to agents.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a := &App{Config: cfg, Log: log, version: cmp.Or(o.version, "dev")}
	if err := secureDataDir(cfg.DataDir, log); err != nil {
		return nil, err
	}
	db, err := sqlitedb.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a.db = db
	built := false
	defer func() { // on every error below: what is open so far
		if built {
			return
		}
		if a.lease != nil {
			a.lease.Release()
		}
		db.Close()
	}()
	if err := a.takeLease(); err != nil {
		return nil, err
	}
	approvals, err := approval.New(ctx, db)
	if err != nil {
		return nil, err
	}
	trail, err := audit.New(ctx, db, filepath.Join(cfg.DataDir, AuditFile))
	if err != nil {
		return nil, err
	}
	a.approvals, a.trail = approvals, trail
	underway, err := runs.New(ctx, db)
	if err != nil {
		return nil, err
	}
	versions, err := history.New(ctx, db, cfg.History.Keep)
	if err != nil {
		return nil, err
	}
	policy, granting, err := a.newGrants(ctx, db)
	if err != nil {
		return nil, err
	}
	handlers := map[string]ops.Handler{"ops.help": command.Help(policy)}
	maps.Copy(handlers, granting)
	if err := a.openMaintenance(ctx, handlers, policy); err != nil {
		return nil, err
	}
	// Before the hub: it counts the messages NATS drops from its start on.
	a.Metrics = metrics.New(func(ctx context.Context) (int, error) {
		list, err := approvals.Pending(ctx, time.Now())
		return len(list), err
	})
	var resolve func(ops.Actor, ops.Operation) (string, error)
	var cancel ops.Canceller // a hub passes /ops cancel on to the agent applying the run
	switch cfg.Mode {
	case ModeHub:
		// The hub runs no backend: every supervisor and fpm operation is
		// planned and applied by the agent of the host it targets.
		remote, err := a.newHub(ctx, o.serving)
		if err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
		maps.Copy(handlers, remote)
		resolve, versions, cancel = a.resolveHost, nil, a.Hub.Cancel
	case ModeStandalone, ModeAgent:
		if err := a.addBackends(handlers, versions, log); err != nil {
			return nil, err
		}
	default:
		return nil, modeError(cfg.Mode)
	}

	if cfg.Alerts.Enabled && (a.Supervisor != nil || a.FPMInstances != nil) {
		var tail func(context.Context, string) string
		if a.Supervisor != nil {
			tail = a.Supervisor.LogTail
		}
		a.Alerts = alert.New(cfg.Host, alert.Rules{
			States: cfg.Alerts.States, Unexpected: cfg.Alerts.UnexpectedExit, FlapWindow: cfg.Alerts.FlapWindow,
			Mute: cfg.Alerts.Mute, QuietHours: cfg.Alerts.QuietHours, Mutes: a.maint.Muter(cfg.Host, log.With("part", "alerts")),
			StableAfter: cfg.Alerts.StableAfter, UpdateEvery: cfg.Alerts.UpdateInterval,
			MaxPosts: cfg.Alerts.MaxPosts, PostWindow: cfg.Alerts.PostWindow,
		}, nil, tail, log.With("part", "alerts"))
	}
	if a.Supervisor != nil {
		a.Supervisor.Client().Observe(a.Metrics.XMLRPCCall)
	}
	var hist ops.History    // nil on a hub: the agents keep the versions
	var journal ops.Journal // and journal the writes
	if versions != nil {
		hist, journal = versions, trail
	}
	a.Pipeline = ops.New(ops.Config{
		Host:        cfg.Host,
		Parser:      command.Parser{},
		Authz:       policy,
		Approvals:   approvals,
		Runs:        underway,
		Audit:       trail,
		WritePolicy: WritePolicy(cfg).Describe(),
		Policy: ops.ApprovalPolicy{
			Required:      cfg.Approvals.Required,
			ApproverRoles: cfg.Approvals.ApproverRoles,
			AllowSelf:     cfg.Approvals.AllowSelfApproval,
			TTL:           cfg.Approvals.TTL,

			MaxPendingPerPerson: cfg.Approvals.MaxPendingPerPerson,
		},
		Handlers:    handlers,
		History:     hist,
		Journal:     journal,
		Lease:       a.lease.ID(),
		Health:      a.health,
		Observer:    a.Metrics,
		Log:         log,
		ResolveHost: resolve,
		Cancel:      cancel,
		Frozen:      a.frozen,
	})
	a.reconcile(ctx)
	built = true
	return a, nil
}

// Close releases what New opened.
func (a *App) Close() error {
	if a.Hub != nil {
		a.Hub.Stop()
	}
	a.natsMu.Lock()
	if a.nc != nil {
		a.nc.Close()
	}
	a.natsMu.Unlock()
	return errors.Join(a.db.Close(), a.lease.Release())
}

func (a *App) health(ctx context.Context) []ops.Component {
	parts := a.daemonHealth(ctx)
	if c, ok := a.natsHealth(); ok {
		parts = append(parts, c)
	}
	for _, h := range a.chatHealth {
		parts = append(parts, h())
	}
	return parts
}

// daemonHealth reports the daemons this host runs.
func (a *App) daemonHealth(ctx context.Context) []ops.Component {
	var parts []ops.Component
	for _, b := range a.backends {
		parts = append(parts, b.Health(ctx)...)
	}
	return parts
}

// NewLogger returns the logger the config asks for, writing to w. minLevel
// raises the level for commands whose stdout is for people (exec, console).
func NewLogger(cfg config.Log, w io.Writer, minLevel slog.Level) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // validated with the config
	if level < minLevel {
		level = minLevel
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
