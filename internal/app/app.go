// Package app wires poolvisor together: it builds the backends, the stores and
// the pipeline from the configuration, runs the subcommands, and owns the
// process lifecycle (signals, shutdown).
package app

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/metrics"
	"github.com/poolvisor/poolvisor/internal/ops"
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
	Metrics    *metrics.Metrics
	Alerts     *alert.Engine // nil when alerts are off; chat adapters add themselves with AddNotifier
	db         *sql.DB
}

// New builds an App from a loaded, validated config.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	a := &App{Config: cfg, Log: log}
	db, err := sqlitedb.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a.db = db
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
	versions, err := history.New(ctx, db, cfg.History.Keep)
	if err != nil {
		db.Close()
		return nil, err
	}
	policy := authz.New(cfg.RBAC.Roles, bindings(cfg.RBAC.Bindings))

	handlers := map[string]ops.Handler{"ops.help": command.Help(policy)}
	if err := a.addSupervisor(handlers, versions, log); err != nil {
		db.Close()
		return nil, err
	}
	addFPM(handlers, cfg)

	if cfg.Alerts.Enabled && a.Supervisor != nil {
		a.Alerts = alert.New(cfg.Host, alert.Rules{
			States: cfg.Alerts.States, Unexpected: cfg.Alerts.UnexpectedExit, FlapWindow: cfg.Alerts.FlapWindow,
			Mute: cfg.Alerts.Mute, QuietHours: cfg.Alerts.QuietHours,
		}, nil, a.Supervisor.LogTail, log.With("part", "alerts"))
	}
	a.Metrics = metrics.New(func(ctx context.Context) (int, error) {
		list, err := approvals.Pending(ctx, time.Now())
		return len(list), err
	})
	if a.Supervisor != nil {
		a.Supervisor.Client().Observe(a.Metrics.XMLRPCCall)
	}
	a.Pipeline = ops.New(ops.Config{
		Host:      cfg.Host,
		Parser:    command.Parser{},
		Authz:     policy,
		Approvals: approvals,
		Audit:     trail,
		Policy: ops.ApprovalPolicy{
			Required:      cfg.Approvals.Required,
			ApproverRoles: cfg.Approvals.ApproverRoles,
			AllowSelf:     cfg.Approvals.AllowSelfApproval,
			TTL:           cfg.Approvals.TTL,
		},
		Handlers: handlers,
		History:  versions,
		Health:   a.health,
		Observer: a.Metrics,
		Log:      log,
	})
	return a, nil
}

// Close releases what New opened.
func (a *App) Close() error { return a.db.Close() }

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
	b, err := supervisor.New(supervisor.Config{
		Host: cfg.Host, URL: cfg.Supervisor.URL,
		Username: cfg.Supervisor.Username, Password: cfg.Supervisor.Password,
		ConfigFile: cfg.Supervisor.ConfigFile, ProgramDir: cfg.Supervisor.ProgramDir, LogDir: cfg.Supervisor.LogDir,
		EventsCommand: eventsCommand(cfg.DataDir),
	}, log.With("backend", "supervisor"))
	if err != nil {
		return err
	}
	a.Supervisor = b
	for name, h := range b.Handlers() {
		handlers[name] = h
	}
	handlers["supervisor.program.history"], handlers["supervisor.program.rollback"] = versions.Handlers(history.Files{
		Kind: supervisor.ProgramKind, Path: b.ProgramPath,
		Edit: handlers["supervisor.program.edit"], Add: handlers["supervisor.program.add"], Delete: handlers["supervisor.program.delete"],
		Ops: [3]string{"supervisor.program.edit", "supervisor.program.add", "supervisor.program.delete"},
	})
	for _, name := range ops.Names() {
		if _, ok := handlers[name]; !ok && strings.HasPrefix(name, "supervisor.") {
			handlers[name] = ops.Unavailable(name + " is not available in this version of poolvisor yet")
		}
	}
	return nil
}

// addFPM registers the fpm.* operations. Until the PHP-FPM backend lands they
// all answer failed with a clear message.
func addFPM(handlers map[string]ops.Handler, cfg *config.Config) {
	msg := fmt.Sprintf("PHP-FPM support is not enabled on %s yet: this version of poolvisor manages Supervisor only", cfg.Host)
	if !cfg.PHPFPM.Enabled {
		msg = fmt.Sprintf("PHP-FPM support is not enabled on %s (phpfpm.enabled: false)", cfg.Host)
	}
	off := ops.Unavailable(msg)
	for _, name := range ops.Names() {
		if strings.HasPrefix(name, "fpm.") {
			handlers[name] = off
		}
	}
}

func (a *App) health(ctx context.Context) []ops.Component {
	var parts []ops.Component
	if a.Supervisor != nil {
		parts = append(parts, a.Supervisor.Health(ctx))
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
