package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// startupPair pairs the start-up of the thin client (`poolvisor version`,
// which it answers itself) with the full program's (`poolvisord version`,
// every package of serve initialised): what a shell user pays before any
// command, and what the split saves. Its target says the thin client
// starts in at most half the time.
func startupPair(o options, bin string) pair {
	daemon := filepath.Join(filepath.Dir(bin), "poolvisord")
	run := func(path string) func(context.Context) error {
		return func(ctx context.Context) error {
			out, err := exec.CommandContext(ctx, path, "version").CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s version: %v\n%s", path, err, out)
			}
			return nil
		}
	}
	return pair{
		title:  "start-up: `poolvisor version` (thin client) vs `poolvisord version`",
		target: 0.5, warmup: o.procWarmup, n: 2 * o.procSamples,
		a: side{name: "poolvisor version", run: run(bin)},
		b: side{name: "poolvisord version", run: run(daemon)},
	}
}

// measureStartup measures startupPair.
func measureStartup(ctx context.Context, o options, bin string, stderr io.Writer) (result, error) {
	fmt.Fprintf(stderr, "measuring start-up: %d samples each...\n", 2*o.procSamples)
	return measure(ctx, startupPair(o, bin))
}
