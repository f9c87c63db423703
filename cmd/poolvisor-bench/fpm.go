package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// fpmPair pairs a whole pool create (poolvisor's checks, php-fpm -t on a
// staged copy, atomic write, reload, the check that every pool answers)
// with php-fpm -t alone, on a sandboxed php-fpm. Each create adds a new
// pool, so both sides see the same, slowly growing configuration.
func fpmPair(stderr io.Writer) (p pair, stop func(), err error) {
	dir, err := os.MkdirTemp("", "poolvisor-bench-fpm-")
	if err != nil {
		return pair{}, nil, err
	}
	f, err := sandbox.StartPHPFPM(dir, sandbox.Pool{Name: "www"})
	if err != nil {
		os.RemoveAll(dir)
		return pair{}, nil, err
	}
	stop = func() {
		if err := f.Stop(); err != nil {
			fmt.Fprintln(stderr, "stop php-fpm:", err)
		}
		os.RemoveAll(dir)
	}
	u, g := f.User, f.Group
	if u == "" { // not root: php-fpm keeps the caller's identity
		cur, _ := user.Current()
		grp, _ := user.LookupGroupId(cur.Gid)
		u, g = cur.Username, grp.Name
	}
	b, err := phpfpm.New(phpfpm.Config{
		Host: "bench", Version: f.Version, Binary: f.Binary, MainConfig: f.MainConfig, PoolDir: f.PoolDir,
		SocketDir: f.SocketDir, ProtectedPools: []string{"www"}, DefaultUser: u, DefaultGroup: g,
		Service: phpfpm.ServiceConfig{Mode: "signal", PIDFile: f.PIDFile},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		stop()
		return pair{}, nil, err
	}
	create := b.Handlers()["fpm.pool.create"]
	n := 0
	p = pair{
		title:  "pool create end to end vs `php-fpm -t` alone",
		target: 3, warmup: 2, n: 12,
		a: side{name: "fpm pool create (validate, -t, write, reload, check)", run: func(ctx context.Context) error {
			n++
			op := ops.Operation{Name: "fpm.pool.create", Target: fmt.Sprintf("bench%02d", n),
				Args: []ops.Arg{{Key: "pm", Value: "static"}, {Key: catalog.FlagOf(catalog.PoolFlags, "pm.max_children"), Value: "1"}}}
			plan, err := create.Plan(ctx, ops.Request{Op: op})
			if err != nil {
				return err
			}
			_, err = plan.Apply(ctx)
			return err
		}},
		b: side{name: "php-fpm -t", run: func(ctx context.Context) error {
			out, err := exec.CommandContext(ctx, f.Binary, "-t", "-y", f.MainConfig).CombinedOutput()
			if err != nil {
				return fmt.Errorf("php-fpm -t: %v\n%s", err, out)
			}
			return nil
		}},
	}
	return p, stop, nil
}
