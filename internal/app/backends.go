package app

// This file builds the two backends from the config and the access rules
// they and the pipeline judge requests by.

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
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
	sc := supervisorConfig(cfg)
	sc.EventsCommand, sc.EventsRefused = eventsCommand(cfg.DataDir)
	sc.StagingDir = a.lease.StagingDir()
	b, err := supervisor.New(sc, log.With("backend", "supervisor"))
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

// uneditable lists, one line each, the program and pool files poolvisor
// shows and controls on this host but will not edit, with the reason
// (check-config prints them). It reads files only; no daemon is asked.
func uneditable(ctx context.Context, cfg *config.Config) []string {
	var out []string
	if cfg.Supervisor.Enabled {
		b, err := supervisor.New(supervisorConfig(cfg), slog.New(slog.DiscardHandler))
		if err != nil {
			out = append(out, "supervisor: "+err.Error())
		} else {
			out = append(out, b.Uneditable(ctx)...)
		}
	}
	if !cfg.PHPFPM.Enabled {
		return out
	}
	resolved, _, err := phpfpm.ResolveInstances(cfg.Host, cfg.PHPFPM)
	if err != nil {
		return append(out, "phpfpm: "+err.Error())
	}
	for _, r := range resolved {
		label := ""
		if len(resolved) > 1 {
			label = "PHP " + r.Name + ": "
		}
		err := r.Err
		var b *phpfpm.Backend
		if err == nil {
			r.Config.Policy = WritePolicy(cfg)
			b, err = phpfpm.New(r.Config, nil)
		}
		if err != nil {
			out = append(out, label+"phpfpm: "+err.Error())
			continue
		}
		for _, l := range b.Uneditable() {
			out = append(out, label+l)
		}
	}
	return out
}

// addFPM registers the fpm.* operations of every PHP-FPM instance (SPEC
// §6), routed by --php. A host where PHP-FPM cannot be found keeps running
// for Supervisor, and every fpm operation says why; an instance that
// cannot be set up is off alone, its operations saying why, while the
// others run.
func (a *App) addFPM(handlers map[string]ops.Handler, versions *history.Store, log *slog.Logger) {
	cfg := a.Config
	if !cfg.PHPFPM.Enabled {
		fpmOff(handlers, fmt.Sprintf("PHP-FPM support is not enabled on %s (phpfpm.enabled: false)", cfg.Host))
		return
	}
	resolved, def, err := phpfpm.ResolveInstances(cfg.Host, cfg.PHPFPM)
	if err != nil {
		log.Warn("PHP-FPM support is off", "err", err)
		fpmOff(handlers, fmt.Sprintf("PHP-FPM is not available on %s: %v", cfg.Host, err))
		return
	}
	several := len(resolved) > 1
	list := make([]phpfpm.Instance, 0, len(resolved))
	for _, r := range resolved {
		in := phpfpm.Instance{Name: r.Name, Handlers: map[string]ops.Handler{}}
		err := r.Err
		if err == nil {
			r.Config.Policy = WritePolicy(cfg)
			r.Config.StagingDir = a.lease.StagingDir()
			l := log.With("backend", "phpfpm")
			if several {
				l = l.With("php", r.Name)
			}
			in.Backend, err = phpfpm.New(r.Config, l)
		}
		if err != nil {
			log.Warn("a PHP-FPM instance is off", "php", r.Name, "err", err)
			in.Off = fmt.Sprintf("PHP-FPM %s is not available on %s: %v", r.Name, cfg.Host, err)
			fpmOff(in.Handlers, in.Off)
			list = append(list, in)
			continue
		}
		maps.Copy(in.Handlers, in.Backend.Handlers())
		files := history.Files{
			Kind: phpfpm.PoolKindOf(r.Name, several), Path: in.Backend.PoolPath,
			Edit: in.Handlers["fpm.pool.edit"], Add: in.Handlers["fpm.pool.create"], Delete: in.Handlers["fpm.pool.delete"],
			Ops:     [3]string{"fpm.pool.edit", "fpm.pool.create", "fpm.pool.delete"},
			Section: phpfpm.PoolSection,
		}
		in.Handlers["fpm.pool.history"], in.Handlers["fpm.pool.rollback"] = versions.Handlers(files)
		in.Handlers["fpm.pool.show"] = versions.WithDrift(in.Handlers["fpm.pool.show"], files)
		if r.Name == def {
			a.FPM = in.Backend
		}
		list = append(list, in)
	}
	a.FPMInstances = phpfpm.NewInstances(cfg.Host, list, def)
	maps.Copy(handlers, a.FPMInstances.Handlers())
}

// fpmOff makes every fpm.* operation answer failed with msg.
func fpmOff(handlers map[string]ops.Handler, msg string) {
	for _, name := range ops.Names() {
		if strings.HasPrefix(name, "fpm.") {
			handlers[name] = ops.Unavailable(msg)
		}
	}
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
