package app

// This file builds the two backends from the config and the access rules
// they and the pipeline judge requests by.

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
	"github.com/poolvisor/poolvisor/internal/supervisor"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

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
		Writable: cfg.Supervisor.Writable, EditMainConfig: cfg.Supervisor.EditMainConfig,
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
		Ops:     [3]string{"supervisor.program.edit", "supervisor.program.add", "supervisor.program.delete"},
		Section: supervisor.ProgramSection,
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
