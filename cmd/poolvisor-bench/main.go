// Command poolvisor-bench measures poolvisor against a sandboxed supervisord
// with many programs and prints the numbers the README quotes:
//
//   - `supervisor status` through the whole pipeline in-process, against one
//     raw supervisor.getAllProcessInfo call (the floor);
//   - `poolvisor exec -- supervisor status` against `supervisorctl status`,
//     as whole processes: directly (--direct, building the bot from the
//     config) and through a running serve's socket.
//
// The two sides of each pair are interleaved, so machine noise hits both
// alike. It reports and never fails on timing: the exit code is 0 unless
// something could not run. Run it from the repository root (`make bench`),
// after `make build`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("poolvisor-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.programs, "programs", 200, "programs in the sandboxed supervisord")
	fs.IntVar(&o.samples, "n", 200, "in-process samples of each side")
	fs.IntVar(&o.warmup, "warmup", 20, "in-process warm-up pairs, not measured")
	fs.IntVar(&o.procSamples, "proc-n", 30, "whole-process samples of each side")
	fs.IntVar(&o.procWarmup, "proc-warmup", 3, "whole-process warm-up pairs, not measured")
	fs.StringVar(&o.poolvisor, "poolvisor", "", "poolvisor binary (default: bin/poolvisor in the repository root)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the in-process measurement (with -fleet-only, of the fleet) to this file")
	fs.IntVar(&o.fleetAgents, "fleet-agents", 1000, "agents in the second fleet measurement")
	fs.BoolVar(&o.fleetOnly, "fleet-only", false, "measure only the fleet, at -fleet-agents agents (no sandbox needed)")
	fs.BoolVar(&o.rollOnly, "roll-only", false, "measure only the rolling restart rows (needs supervisord, not the poolvisor binary)")
	fs.BoolVar(&o.socketOnly, "socket-only", false, "measure only exec through serve's socket against supervisorctl")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if only := btoi(o.fleetOnly) + btoi(o.rollOnly) + btoi(o.socketOnly); only > 1 {
		fmt.Fprintln(stderr, "poolvisor-bench: -fleet-only, -roll-only and -socket-only exclude each other")
		return exitUsage
	}
	if fs.NArg() > 0 || o.programs < 1 || o.samples < 1 || o.procSamples < 1 || o.warmup < 0 || o.procWarmup < 0 || o.fleetAgents < 1 {
		fmt.Fprintln(stderr, "poolvisor-bench: takes no arguments; -programs, -n, -proc-n and -fleet-agents must be at least 1, warm-ups at least 0")
		return exitUsage
	}

	// Ctrl-C, a closed terminal or a closed output pipe (| head) cancels the
	// measurement; the sandbox is still stopped on the way out. The handler
	// stays installed until then, so a second signal cannot cut the clean-up
	// short.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer stop()

	err := bench(ctx, o, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "poolvisor-bench: interrupted")
		return exitInterrupted
	default:
		fmt.Fprintln(stderr, "poolvisor-bench:", err)
		return exitFailed
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
