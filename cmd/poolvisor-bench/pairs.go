package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"syscall"

	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/supervisor"
)

// maxShownOutput bounds the output a failed command shows.
const maxShownOutput = 2048

// inProcessPair builds poolvisor in this process, as `serve` would, and
// pairs `supervisor status` through its pipeline (parse, authorize, plan,
// apply, audit to SQLite and the JSON-lines file) with the one XML-RPC call
// that status cannot do without. closeApp releases the app.
func inProcessPair(ctx context.Context, e *env, o options, stderr io.Writer) (p pair, closeApp func(), err error) {
	cfg, err := config.Load(e.config)
	if err != nil {
		return pair{}, nil, err
	}
	a, err := app.New(ctx, cfg, app.NewLogger(cfg.Log, stderr, slog.LevelWarn))
	if err != nil {
		return pair{}, nil, fmt.Errorf("build poolvisor: %w", err)
	}
	client, err := supervisor.NewClient(e.sv.URL, "", "", 0)
	if err != nil {
		a.Close()
		return pair{}, nil, err
	}
	actor := ops.Actor{Platform: "local", ID: e.user, Name: e.user}

	pipeline := func(ctx context.Context) error {
		res := a.Pipeline.Run(ctx, actor, "supervisor status")
		if res.Status != ops.StatusOK {
			return fmt.Errorf("%s: %s", res.Status, res.Message)
		}
		if list, ok := res.Data.(ops.ProgramList); !ok || len(list.Programs) != e.programs {
			return fmt.Errorf("want %d programs, got %#v", e.programs, res.Data)
		}
		return nil
	}
	raw := func(ctx context.Context) error {
		procs, err := client.GetAllProcessInfo(ctx)
		if err == nil && len(procs) != e.programs {
			err = fmt.Errorf("want %d processes, got %d", e.programs, len(procs))
		}
		return err
	}
	p = pair{
		title:  "status through the pipeline vs one raw getAllProcessInfo",
		a:      side{name: "status through the pipeline", run: pipeline},
		b:      side{name: "one raw getAllProcessInfo (floor)", run: raw},
		target: 1.1,
		warmup: o.warmup,
		n:      o.samples,
	}
	return p, func() { a.Close() }, nil
}

// processPair pairs `poolvisor exec -- supervisor status` with
// `supervisorctl status`, each a whole process from fork to exit.
func processPair(e *env, o options, poolvisor, supervisorctl string) pair {
	return pair{
		title:  "`poolvisor exec -- supervisor status` vs `supervisorctl status`",
		a:      side{name: "poolvisor exec --direct -- supervisor status", run: command(poolvisor, "exec", "--direct", "--config", e.config, "--", "supervisor", "status")},
		b:      side{name: "supervisorctl status", run: command(supervisorctl, "-c", e.sv.ConfigFile, "status")},
		target: 0.2,
		warmup: o.procWarmup,
		n:      o.procSamples,
	}
}

// command returns a side that runs name with args, its output going to
// /dev/null, and fails unless it exits 0 (supervisorctl status does only when
// every process is RUNNING). A failed run is repeated once with its output
// kept, for the error message.
func command(name string, args ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, name, args...)
		// A group of its own keeps a terminal's Ctrl-C away from it: the
		// benchmark cancels ctx instead, so an interrupted run is not
		// mistaken for a failed one.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		err := cmd.Run()
		if err == nil || ctx.Err() != nil {
			return err
		}
		out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if len(out) > maxShownOutput {
			out = out[len(out)-maxShownOutput:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}
