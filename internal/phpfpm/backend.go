// Package phpfpm is poolvisor's PHP-FPM backend: the fpm.* operations of
// SPEC §1 on one host's php-fpm.
//
// Pools live one per file in the pool dir. A write (create, edit, delete)
// is validated twice before the live directory is touched — by poolvisor's
// own rules (validate.go), then by php-fpm's own test on a staged copy of
// the main config and the pool dir (check.go) — and is then written
// atomically, php-fpm reloaded, and the result verified: the master must be
// alive and every pool's listen address must accept connections. When it is
// not, the previous file is restored byte for byte and php-fpm brought back
// (apply.go). Pool files are read and edited line by line with the rules of
// PHP's ini scanner (ini.go, conffile.go, poolfile.go), so an edit changes
// only the directives it sets.
//
// A host may run several PHP-FPM installations side by side (SPEC §6): each
// is a Backend of its own, found by DetectInstances (detect.go) or named in
// the config (ResolveInstances), and Instances (instances.go) routes every
// operation to one of them by --php.
package phpfpm

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Backend runs the fpm.* operations against one php-fpm.
type Backend struct {
	cfg Config
	log *slog.Logger
	mu  sync.Mutex // with the pool dir's flock: one write or service action at a time
	// group is the host's instances when there are several (tunegroup.go):
	// /fpm tune shares one budget among those that share one. Set by
	// NewInstances before any operation runs; nil with one instance.
	group *tuneGroup
}

// New returns a Backend. It does not contact php-fpm: the bot starts and
// keeps running while php-fpm is down, and answers failed until it is back.
func New(cfg Config, log *slog.Logger) (*Backend, error) {
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	if cfg.ReloadTimeout == 0 {
		cfg.ReloadTimeout = 15 * time.Second
	}
	if cfg.Service.Mode == "" {
		cfg.Service.Mode = "systemd"
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Backend{cfg: cfg, log: log}, nil
}

// Config returns the backend's configuration, with its defaults applied.
func (b *Backend) Config() Config { return b.cfg }

// Handlers returns the handlers of every fpm.* operation this backend runs.
func (b *Backend) Handlers() map[string]ops.Handler {
	return map[string]ops.Handler{
		"fpm.pool.list":       ops.ReadFunc(b.list),
		"fpm.pool.show":       ops.ReadFunc(b.show),
		"fpm.pool.create":     poolWrite{b, writeCreate},
		"fpm.pool.edit":       poolWrite{b, writeEdit},
		"fpm.pool.delete":     poolWrite{b, writeDelete},
		"fpm.service.status":  ops.ReadFunc(b.status),
		"fpm.service.reload":  serviceAction{b, "reload"},
		"fpm.service.restart": serviceAction{b, "restart"},
		"fpm.pool.workers":    ops.ReadFunc(b.workers),
		"fpm.tune":            ops.ReadFunc(b.tune),
		"fpm.opcache.status":  ops.ReadFunc(b.opcacheStatus),
		"fpm.opcache.reset":   opcacheReset{b},
		"fpm.tune.apply":      tuneApply{b},
		"fpm.pool.slowlog":    ops.ReadFunc(b.slowlog),
	}
}

// Health reports whether php-fpm runs.
func (b *Backend) Health(ctx context.Context) ops.Component {
	running, state, pid := b.serviceState(ctx)
	info := fmt.Sprintf("PHP %s, %s", b.cfg.Version, state)
	if pid != 0 {
		info += fmt.Sprintf(", pid %d", pid)
	}
	return ops.Component{Name: "php-fpm", OK: running, Info: info}
}

// protected reports whether the pool may not be edited or deleted.
func (b *Backend) protected(name string) bool { return slices.Contains(b.cfg.ProtectedPools, name) }

// The handlers that are types of their own implement ops.Handler.
var (
	_ ops.Handler = poolWrite{}
	_ ops.Handler = serviceAction{}
	_ ops.Handler = opcacheReset{}
)
