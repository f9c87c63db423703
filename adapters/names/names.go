// Package names lists what a person may complete a command with: the
// pools, PHP-FPM instances and processes of a host, read
// through the pipeline as that person (so authorized and audited like any
// read), and kept a short while per person, since every keystroke
// (Discord's autocomplete) or TAB press (a shell's) asks again.
package names

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TTL is how long a list serves: one read serves a burst of keystrokes.
const TTL = 15 * time.Second

// Runner runs a command as a person: the pipeline, or what fronts it.
type Runner interface {
	Run(ctx context.Context, actor ops.Actor, text string) ops.Result
}

// Cache keeps each person's last lists, by a key the caller chooses (the
// person, and where the names live).
type Cache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cached
}

type cached struct {
	names   []string
	expires time.Time
}

// NewCache returns an empty cache on the clock now.
func NewCache(now func() time.Time) *Cache {
	return &Cache{now: now, m: map[string]cached{}}
}

// Get returns the list under key, loading it when it is missing or older
// than TTL. Expired lists are dropped.
func (c *Cache) Get(key string, load func() []string) []string {
	c.mu.Lock()
	if l, ok := c.m[key]; ok && c.now().Before(l.expires) {
		c.mu.Unlock()
		return l.names
	}
	c.mu.Unlock()
	names := load()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, l := range c.m {
		if c.now().After(l.expires) {
			delete(c.m, k)
		}
	}
	c.m[key] = cached{names: names, expires: c.now().Add(TTL)}
	return names
}

// Pools lists the pools who may list, once each (www in 7.4 and in 8.3);
// flags are "" or flags of `fpm pools` (--host, --php), with their
// leading space.
func Pools(ctx context.Context, run Runner, who ops.Actor, flags string) []string {
	res := run.Run(ctx, who, "fpm pools"+flags)
	d := view.Decode(res.Data)
	if res.Status != ops.StatusOK || d.Pools == nil {
		return nil
	}
	var out []string
	for _, p := range *d.Pools {
		if !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	}
	return out
}

// Instances lists the PHP-FPM instances of the host (none where it runs
// one: there is nothing to choose); flags as Pools'.
func Instances(ctx context.Context, run Runner, who ops.Actor, flags string) []string {
	res := run.Run(ctx, who, "fpm pools"+flags)
	if res.Status != ops.StatusOK {
		return nil
	}
	return view.Instances(res.Data)
}

// Processes lists the processes who may list and their groups as
// GROUP:*, what a process argument takes (NAME|GROUP:*); flags as those
// of `supervisor status`.
func Processes(ctx context.Context, run Runner, who ops.Actor, flags string) []string {
	var out []string
	for _, p := range processes(ctx, run, who, flags) {
		if p.Group != "" && p.Group != p.Name && !slices.Contains(out, p.Group+":*") {
			out = append(out, p.Group+":*")
		}
		out = append(out, p.Name)
	}
	return out
}

func processes(ctx context.Context, run Runner, who ops.Actor, flags string) []view.Process {
	res := run.Run(ctx, who, "supervisor status"+flags)
	d := view.Decode(res.Data)
	if res.Status != ops.StatusOK || d.Programs == nil {
		return nil
	}
	return *d.Programs
}
