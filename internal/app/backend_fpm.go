package app

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
)

// fpmBackend builds the PHP-FPM backend from the phpfpm section of the
// config: every instance found (SPEC §6), routed by --php, each with the
// history of its pool files. A host where PHP-FPM cannot be found keeps
// running for Supervisor, and every fpm operation says why; an instance
// that cannot be set up is off alone, its operations saying why, while
// the others run.
func (a *App) fpmBackend(versions *history.Store, log *slog.Logger) (ops.Backend, error) {
	cfg := a.Config
	if !cfg.PHPFPM.Enabled {
		return ops.Off(ops.OwnerFPM, fmt.Sprintf("PHP-FPM support is not enabled on %s (phpfpm.enabled: false)", cfg.Host)), nil
	}
	resolved, def, err := phpfpm.ResolveInstances(cfg.Host, cfg.PHPFPM)
	if err != nil {
		log.Warn("PHP-FPM support is off", "err", err)
		return ops.Off(ops.OwnerFPM, fmt.Sprintf("PHP-FPM is not available on %s: %v", cfg.Host, err)), nil
	}
	several := len(resolved) > 1
	list := make([]phpfpm.Instance, 0, len(resolved))
	for _, r := range resolved {
		in := phpfpm.Instance{Name: r.Name}
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
			in.Handlers = ops.Off(ops.OwnerFPM, in.Off).Handlers()
			list = append(list, in)
			continue
		}
		in.Handlers = maps.Clone(in.Backend.Handlers())
		versioned(in.Handlers, versions, phpfpm.PoolOps, phpfpm.PoolKindOf(r.Name, several), in.Backend.PoolPath, phpfpm.PoolSection)
		if r.Name == def {
			a.FPM = in.Backend
		}
		list = append(list, in)
	}
	a.FPMInstances = phpfpm.NewInstances(cfg.Host, list, def)
	return a.FPMInstances, nil
}

// fpmUneditable is what check-config says of the pool files each PHP-FPM
// instance shows but will not edit; with several instances each line
// names its instance.
func fpmUneditable(_ context.Context, cfg *config.Config) []string {
	if !cfg.PHPFPM.Enabled {
		return nil
	}
	resolved, _, err := phpfpm.ResolveInstances(cfg.Host, cfg.PHPFPM)
	if err != nil {
		return []string{"phpfpm: " + err.Error()}
	}
	var out []string
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
