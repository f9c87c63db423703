package app

// This file wires the backends, each built from its config section, and
// the access rules they and the pipeline judge requests by.

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// uneditable lists, one line each, the files the backends show and
// control on this host but will not edit, with the reason (check-config
// prints them). It reads files only; no daemon is asked.
func uneditable(ctx context.Context, cfg *config.Config) []string {
	var out []string
	for _, b := range backends {
		out = append(out, b.uneditable(ctx, cfg)...)
	}
	return out
}

// backends are the backends a standalone host or an agent runs, in the
// order their health is reported. Adding a backend is one line here (see
// docs/architecture.md).
var backends = []struct {
	// build makes the backend from its config section; ops.Off, whose
	// operations say why, when it does not run on the host.
	build func(a *App, versions *history.Store, log *slog.Logger) (ops.Backend, error)
	// uneditable is what check-config says of the files the backend would
	// show but not edit, read from the config and the files alone.
	uneditable func(ctx context.Context, cfg *config.Config) []string
}{
	{(*App).supervisorBackend, supervisorUneditable},
	{(*App).fpmBackend, fpmUneditable},
}

// addBackends builds every backend and registers the operations each owns.
func (a *App) addBackends(handlers map[string]ops.Handler, versions *history.Store, log *slog.Logger) error {
	for _, entry := range backends {
		b, err := entry.build(a, versions, log)
		if err != nil {
			return err
		}
		for name, h := range b.Handlers() {
			if owner := ops.OwnerOf(name); owner != b.Name() {
				return fmt.Errorf("backend %s handles %s, which the catalog gives to %q", b.Name(), name, owner)
			}
			handlers[name] = h
		}
		a.backends = append(a.backends, b)
	}
	return nil
}

// versioned adds to handlers the history and rollback of one kind of file
// (names says its operations) and, to its show, the drift from the last
// version kept.
func versioned(handlers map[string]ops.Handler, versions *history.Store, names ops.FileOps, kind string,
	path func(string) string, section func(name string, content []byte) []byte) {
	files := history.Files{
		Kind: kind, Path: path,
		Edit: handlers[names.Edit], Add: handlers[names.Add], Delete: handlers[names.Delete],
		Ops:     [3]string{names.Edit, names.Add, names.Delete},
		Section: section,
	}
	handlers[names.History], handlers[names.Rollback] = versions.Handlers(files)
	handlers[names.Show] = versions.WithDrift(handlers[names.Show], files)
}

func bindings(in []config.Binding) []authz.Binding {
	out := make([]authz.Binding, len(in))
	for i, b := range in {
		out[i] = authz.Binding{Role: b.Role, Users: map[string][]string{}, Groups: map[string][]string{}}
		for _, id := range config.Identities {
			out[i].Users[id.Platform] = b.Users(id.Platform)
			out[i].Groups[id.Platform] = b.Groups(id.Platform)
		}
	}
	return out
}

func people(in map[string]config.Person) map[string]authz.Person {
	out := make(map[string]authz.Person, len(in))
	for name, p := range in {
		out[name] = authz.Person(p)
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
