package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/poolvisor/poolvisor/adapters/socket"
)

// socketPair starts `poolvisor serve` on a socket in the sandbox and pairs
// `poolvisor exec --socket PATH -- supervisor status` (no config read, the
// running bot does the work) with `supervisorctl status`. stop ends serve.
func socketPair(ctx context.Context, e *env, o options, poolvisor, supervisorctl string, stderr io.Writer) (p pair, stop func(), err error) {
	serve := exec.Command(poolvisor, "serve", "--config", e.config)
	serve.Stdout, serve.Stderr = io.Discard, stderr
	if err := serve.Start(); err != nil {
		return pair{}, nil, fmt.Errorf("start serve: %w", err)
	}
	stop = func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}
	// serve answers once it has built the bot: poll, bounded.
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err = socket.Dial(ctx, e.socket); err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return pair{}, nil, fmt.Errorf("serve does not answer on %s: %w", e.socket, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return pair{
		title:  "`poolvisor exec -- supervisor status` through serve's socket vs `supervisorctl status`",
		a:      side{name: "poolvisor exec (socket) -- supervisor status", run: command(poolvisor, "exec", "--socket", e.socket, "--", "supervisor", "status")},
		b:      side{name: "supervisorctl status", run: command(supervisorctl, "-c", e.sv.ConfigFile, "status")},
		target: 0.2,
		warmup: o.procWarmup,
		n:      o.procSamples,
	}, stop, nil
}

// socketPath is where the sandbox's serve listens.
func socketPath(dir string) string { return filepath.Join(dir, "poolvisor.sock") }
