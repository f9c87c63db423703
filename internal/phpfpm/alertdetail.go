package phpfpm

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// PoolAdvice is /fpm tune NAME's advice for one pool, for a saturation
// alert: the instance's budget split as fpm.tune splits it, with only that
// pool's line in Pools. It samples the workers' memory (tuneRounds
// readings tuneEvery apart), so the caller bounds ctx.
func (b *Backend) PoolAdvice(ctx context.Context, pool string) (ops.FPMTune, error) {
	a, err := b.advise(ctx, ops.Request{Op: ops.Operation{Name: "fpm.tune", Target: pool}})
	if err != nil {
		return ops.FPMTune{}, err
	}
	if len(a.data.Pools) != 1 || a.data.Pools[0].Name != pool {
		return ops.FPMTune{}, ops.Failedf("pool %s is not among the pools php-fpm runs on %s", pool, b.cfg.Host)
	}
	return a.data, nil
}

// TopSlow is the largest group of pool's slow requests since the given
// time ago, as /fpm slowlog NAME --since D --limit 1 would list it first;
// nil when the pool has no slow log (none set, off, or not written yet)
// or nothing in it that recent.
func (b *Backend) TopSlow(pool string, since time.Duration) (*ops.SlowlogEntry, error) {
	d, err := b.scanPools()
	if err != nil {
		return nil, err
	}
	e, err := d.find(pool, b.cfg.Host)
	if err != nil {
		return nil, err
	}
	path, err := slowlogFile(e.directives, pool)
	if err != nil {
		return nil, nil // no slow log: the alert says nothing of one
	}
	raw, _, err := readTail(path, slowlogReadMax)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, b.slowlogReadError(pool, path, err)
	}
	entries, _ := parseSlowlog(raw, time.Local)
	from := time.Now().Add(-since)
	var mine []slowEntry
	for _, s := range entries {
		if s.pool == pool && !s.at.Before(from) {
			mine = append(mine, s)
		}
	}
	groups := groupSlow(mine)
	if len(groups) == 0 {
		return nil, nil
	}
	return &groups[0], nil
}
