package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/supervisor"
)

// supervisorBackend builds the Supervisor backend from the supervisor
// section of the config, with the history of program files; a.Supervisor
// is then what serve's event socket, listener watch and alerts use.
func (a *App) supervisorBackend(versions *history.Store, log *slog.Logger) (ops.Backend, error) {
	cfg := a.Config
	if !cfg.Supervisor.Enabled {
		return ops.Off(ops.OwnerSupervisor, fmt.Sprintf("Supervisor support is not enabled on %s (supervisor.enabled: false)", cfg.Host)), nil
	}
	sc := supervisorConfig(cfg)
	sc.EventsCommand, sc.EventsRefused = eventsCommand(cfg.DataDir)
	sc.StagingDir = a.lease.StagingDir()
	b, err := supervisor.New(sc, log.With("backend", "supervisor"))
	if err != nil {
		return nil, err
	}
	a.Supervisor = b
	handlers := b.Handlers()
	versioned(handlers, versions, supervisor.ProgramOps, supervisor.ProgramKind, b.ProgramPath, supervisor.ProgramSection)
	return supervisorSeam{Backend: b, handlers: handlers}, nil
}

// supervisorSeam is the Supervisor backend as an ops.Backend: its health
// includes poolvisor's event listener, and it keeps the live program state
// while serve runs.
type supervisorSeam struct {
	*supervisor.Backend
	handlers map[string]ops.Handler // the backend's, with the history's
}

var _ ops.Runner = supervisorSeam{}

func (supervisorSeam) Name() string { return ops.OwnerSupervisor }

func (s supervisorSeam) Handlers() map[string]ops.Handler { return s.handlers }

func (s supervisorSeam) Health(ctx context.Context) []ops.Component {
	parts := []ops.Component{s.Backend.Health(ctx)}
	if c, ok := s.ListenerHealth(ctx); ok {
		parts = append(parts, c)
	}
	return parts
}

func (s supervisorSeam) Run(ctx context.Context) { s.RunReconcile(ctx) }

// supervisorUneditable is what check-config says of the program files the
// Supervisor backend shows but will not edit.
func supervisorUneditable(ctx context.Context, cfg *config.Config) []string {
	if !cfg.Supervisor.Enabled {
		return nil
	}
	b, err := supervisor.New(supervisorConfig(cfg), slog.New(slog.DiscardHandler))
	if err != nil {
		return []string{"supervisor: " + err.Error()}
	}
	return b.Uneditable(ctx)
}

// supervisorConfig is what the Supervisor backend takes from cfg.
func supervisorConfig(cfg *config.Config) supervisor.Config {
	return supervisor.Config{
		Host: cfg.Host, URL: cfg.Supervisor.URL,
		Username: cfg.Supervisor.Username, Password: cfg.Supervisor.Password,
		ConfigFile: cfg.Supervisor.ConfigFile, ProgramDir: cfg.Supervisor.ProgramDir, LogDir: cfg.Supervisor.LogDir,
		Writable: cfg.Supervisor.Writable, EditMainConfig: cfg.Supervisor.EditMainConfig,
		Policy: WritePolicy(cfg), SkipDaemonCheck: cfg.Supervisor.Check == "skip",
	}
}
