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
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/fleet"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/lease"
	"github.com/poolvisor/poolvisor/internal/metrics"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
	"github.com/poolvisor/poolvisor/internal/supervisor"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// AuditFile is the JSON-lines mirror of the audit trail, in the data directory.
const AuditFile = "audit.jsonl"

// App is one built poolvisor: its pipeline and what the pipeline stands on.
type App struct {
	Config     *config.Config
	Log        *slog.Logger
	Pipeline   *ops.Pipeline
	Supervisor *supervisor.Backend // nil when disabled
	FPM        *phpfpm.Backend     // nil when disabled or not found
	Metrics    *metrics.Metrics
	Alerts     *alert.Engine          // nil when alerts are off; chat adapters add themselves with AddNotifier
	Hub        *fleet.Hub             // in hub mode: routes operations to the agents
	chatHealth []func() ops.Component // the chat connections serve runs
	db         *sql.DB
	lease      *lease.Lease // this process's, in the data directory
	approvals  *approval.Store
	trail      *audit.Log

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
	if err := a.takeLease(); err != nil {
		db.Close()
		return nil, err
	}
	built := false
	defer func() {
		if !built {
			a.lease.Release()
		}
	}()
	approvals, err := approval.New(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	trail, err := audit.New(ctx, db, filepath.Join(cfg.DataDir, AuditFile))
	if err != nil {
		db.Close()
		return nil, err
	}
	a.approvals, a.trail = approvals, trail
	versions, err := history.New(ctx, db, cfg.History.Keep)
	if err != nil {
		db.Close()
		return nil, err
	}
	policy := authz.New(cfg.RBAC.Roles, bindings(cfg.RBAC.Bindings)).WithPeople(people(cfg.RBAC.People))

	handlers := map[string]ops.Handler{"ops.help": command.Help(policy)}
	var resolve func(ops.Actor, ops.Operation) (string, error)
	switch cfg.Mode {
	case ModeHub:
		// The hub runs no backend: every supervisor and fpm operation is
		// planned and applied by the agent of the host it targets.
		remote, err := a.newHub(ctx, o.serving)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("hub: %w", err)
		}
		maps.Copy(handlers, remote)
		resolve, versions = a.Hub.ResolveHost, nil
	case ModeStandalone, ModeAgent:
		if err := a.addSupervisor(handlers, versions, log); err != nil {
			db.Close()
			return nil, err
		}
		a.addFPM(handlers, versions, log)
	default:
		db.Close()
		return nil, modeError(cfg.Mode)
	}

	if cfg.Alerts.Enabled && (a.Supervisor != nil || a.FPM != nil) {
		var tail func(context.Context, string) string
		if a.Supervisor != nil {
			tail = a.Supervisor.LogTail
		}
		a.Alerts = alert.New(cfg.Host, alert.Rules{
			States: cfg.Alerts.States, Unexpected: cfg.Alerts.UnexpectedExit, FlapWindow: cfg.Alerts.FlapWindow,
			Mute: cfg.Alerts.Mute, QuietHours: cfg.Alerts.QuietHours,
			StableAfter: cfg.Alerts.StableAfter, UpdateEvery: cfg.Alerts.UpdateInterval,
			MaxPosts: cfg.Alerts.MaxPosts, PostWindow: cfg.Alerts.PostWindow,
		}, nil, tail, log.With("part", "alerts"))
	}
	a.Metrics = metrics.New(func(ctx context.Context) (int, error) {
		list, err := approvals.Pending(ctx, time.Now())
		return len(list), err
	})
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

func (a *App) addSupervisor(handlers map[string]ops.Handler, versions *history.Store, log *slog.Logger) error {
	cfg := a.Config
	if !cfg.Supervisor.Enabled {
		off := ops.Unavailable(fmt.Sprintf("Supervisor support is not enabled on %s (supervisor.enabled: false)", cfg.Host))
		for _, name := range ops.Names() {
			if strings.HasPrefix(name, "supervisor.") {
				handlers[name] = off
			}
		}
		return nil
	}
	events, refused := eventsCommand(cfg.DataDir)
	b, err := supervisor.New(supervisor.Config{
		Host: cfg.Host, URL: cfg.Supervisor.URL,
		Username: cfg.Supervisor.Username, Password: cfg.Supervisor.Password,
		ConfigFile: cfg.Supervisor.ConfigFile, ProgramDir: cfg.Supervisor.ProgramDir, LogDir: cfg.Supervisor.LogDir,
		EventsCommand: events, EventsRefused: refused, Policy: WritePolicy(cfg),
		StagingDir:      a.lease.StagingDir(),
		SkipDaemonCheck: cfg.Supervisor.Check == "skip",
	}, log.With("backend", "supervisor"))
	if err != nil {
		return err
	}
	a.Supervisor = b
	for name, h := range b.Handlers() {
		handlers[name] = h
	}
	files := history.Files{
		Kind: supervisor.ProgramKind, Path: b.ProgramPath,
		Edit: handlers["supervisor.program.edit"], Add: handlers["supervisor.program.add"], Delete: handlers["supervisor.program.delete"],
		Ops: [3]string{"supervisor.program.edit", "supervisor.program.add", "supervisor.program.delete"},
	}
	handlers["supervisor.program.history"], handlers["supervisor.program.rollback"] = versions.Handlers(files)
	handlers["supervisor.program.show"] = versions.WithDrift(handlers["supervisor.program.show"], files)
	for _, name := range ops.Names() {
		if _, ok := handlers[name]; !ok && strings.HasPrefix(name, "supervisor.") {
			handlers[name] = ops.Unavailable(name + " is not available in this version of poolvisor yet")
		}
	}
	return nil
}

// addFPM registers the fpm.* operations. A host where PHP-FPM cannot be
// found keeps running for Supervisor, and every fpm operation says why.
func (a *App) addFPM(handlers map[string]ops.Handler, versions *history.Store, log *slog.Logger) {
	cfg := a.Config
	off := func(msg string) {
		for _, name := range ops.Names() {
			if strings.HasPrefix(name, "fpm.") {
				handlers[name] = ops.Unavailable(msg)
			}
		}
	}
	if !cfg.PHPFPM.Enabled {
		off(fmt.Sprintf("PHP-FPM support is not enabled on %s (phpfpm.enabled: false)", cfg.Host))
		return
	}
	fc, err := phpfpm.FromConfig(cfg.Host, cfg.PHPFPM)
	fc.Policy = WritePolicy(cfg)
	fc.StagingDir = a.lease.StagingDir()
	if err == nil {
		a.FPM, err = phpfpm.New(fc, log.With("backend", "phpfpm"))
	}
	if err != nil {
		log.Warn("PHP-FPM support is off", "err", err)
		off(fmt.Sprintf("PHP-FPM is not available on %s: %v", cfg.Host, err))
		return
	}
	for name, h := range a.FPM.Handlers() {
		handlers[name] = h
	}
	files := history.Files{
		Kind: phpfpm.PoolKind, Path: a.FPM.PoolPath,
		Edit: handlers["fpm.pool.edit"], Add: handlers["fpm.pool.create"], Delete: handlers["fpm.pool.delete"],
		Ops: [3]string{"fpm.pool.edit", "fpm.pool.create", "fpm.pool.delete"},
	}
	handlers["fpm.pool.history"], handlers["fpm.pool.rollback"] = versions.Handlers(files)
	handlers["fpm.pool.show"] = versions.WithDrift(handlers["fpm.pool.show"], files)
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
	if a.Supervisor != nil {
		parts = append(parts, a.Supervisor.Health(ctx))
	}
	if c, ok := a.listenerHealth(ctx); ok {
		parts = append(parts, c)
	}
	if a.FPM != nil {
		parts = append(parts, a.FPM.Health(ctx))
	}
	return parts
}

func bindings(in []config.Binding) []authz.Binding {
	out := make([]authz.Binding, len(in))
	for i, b := range in {
		out[i] = authz.Binding{
			Role: b.Role, SlackUsers: b.SlackUsers, SlackUsergroups: b.SlackUsergroups,
			DiscordUsers: b.DiscordUsers, DiscordRoles: b.DiscordRoles, LocalUsers: b.LocalUsers,
		}
	}
	return out
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

func people(in map[string]config.Person) map[string]authz.Person {
	out := make(map[string]authz.Person, len(in))
	for name, p := range in {
		out[name] = authz.Person{Slack: p.Slack, Discord: p.Discord, Local: p.Local}
	}
	return out
}

// WritePolicy returns the write policy of cfg (SPEC §6).
func WritePolicy(cfg *config.Config) writepolicy.Policy {
	return writepolicy.Policy{
		ProgramUsers: cfg.Policy.ProgramUsers,
		WritableDirs: cfg.Policy.WritableDirs,
		FPMTCP:       cfg.Policy.FPMTCP,
	}
}
