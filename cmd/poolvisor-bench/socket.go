package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/poolvisor/poolvisor/adapters/socket"
)

// measureSocket measures `poolvisor exec -- supervisor status` through a
// running serve's socket, answered from its live state, against
// `supervisorctl status`, and says how many getAllProcessInfo calls serve
// made while it was measured (0 but for its periodic reconciliation: the
// answers came from the live state, not one call each).
func measureSocket(ctx context.Context, e *env, o options, bin, ctl string, stderr io.Writer) (result, error) {
	fmt.Fprintf(stderr, "measuring exec through serve's socket, live state: %d warm-up pairs, %d samples each...\n", o.procWarmup, o.procSamples)
	sp, proxy, stop, err := socketPair(ctx, e, o, bin, ctl, stderr)
	if err != nil {
		return result{}, err
	}
	defer stop()
	before := proxy.lists.Load()
	r, err := measure(ctx, sp)
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(stderr, "serve made %d getAllProcessInfo calls for %d socket reads\n",
		proxy.lists.Load()-before, o.procWarmup+o.procSamples)
	return r, nil
}

// socketPair starts `poolvisor serve` on a socket in the sandbox, behind
// an XML-RPC proxy that counts calls, installs its event listener (as an
// admin would: `supervisor events enable` through the socket) and waits
// until status is answered from the live state. It pairs `poolvisor exec
// --socket PATH -- supervisor status` (no config read, the running bot
// answers) with `supervisorctl status`. stop ends serve and the proxy.
func socketPair(ctx context.Context, e *env, o options, poolvisor, supervisorctl string, stderr io.Writer) (p pair, proxy *rpcCounter, stop func(), err error) {
	proxy, err = newRPCCounter(e.sv.SocketPath)
	if err != nil {
		return pair{}, nil, nil, err
	}
	cfg := fmt.Sprintf(`host: bench
data_dir: %q
listen: ""
phpfpm: {enabled: false}
supervisor: {url: %q, config_file: %q, program_dir: %q, log_dir: %q}
local: {socket: %q}
rbac:
  bindings:
    - {role: admin, local_users: [%q]}
`, filepath.Join(e.dir, "socket-data"), proxy.url, e.sv.ConfigFile, e.sv.ProgramDir, e.sv.LogDir, e.socket, e.user)
	path := filepath.Join(e.dir, "socket.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		proxy.close()
		return pair{}, nil, nil, err
	}
	serve := exec.Command(poolvisor, "serve", "--config", path)
	serve.Stdout, serve.Stderr = io.Discard, stderr
	if err := serve.Start(); err != nil {
		proxy.close()
		return pair{}, nil, nil, fmt.Errorf("start serve: %w", err)
	}
	stop = func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
		proxy.close()
	}
	fail := func(err error) (pair, *rpcCounter, func(), error) {
		stop()
		return pair{}, nil, nil, err
	}
	// serve answers once it has built the bot: poll, bounded.
	if err := until(ctx, time.Minute, func() error {
		_, err := socket.Dial(ctx, e.socket)
		return err
	}); err != nil {
		return fail(fmt.Errorf("serve does not answer on %s: %w", e.socket, err))
	}
	if out, err := exec.CommandContext(ctx, poolvisor, "exec", "--socket", e.socket, "--json", "--", "supervisor", "events", "enable").CombinedOutput(); err != nil {
		return fail(fmt.Errorf("install the event listener: %v: %s", err, out))
	}
	// Live: a status through the socket makes no getAllProcessInfo call.
	if err := until(ctx, time.Minute, func() error {
		before := proxy.lists.Load()
		if err := statusOK(ctx, poolvisor, e.socket, e.programs); err != nil {
			return err
		}
		if n := proxy.lists.Load() - before; n != 0 {
			return fmt.Errorf("status still asks supervisord (%d calls)", n)
		}
		return nil
	}); err != nil {
		return fail(fmt.Errorf("serve's live state does not answer status: %w", err))
	}
	return pair{
		title:  "`poolvisor exec -- supervisor status` through serve's socket (live state) vs `supervisorctl status`",
		a:      side{name: "poolvisor exec (socket) -- supervisor status", run: command(poolvisor, "exec", "--socket", e.socket, "--", "supervisor", "status")},
		b:      side{name: "supervisorctl status", run: command(supervisorctl, "-c", e.sv.ConfigFile, "status")},
		target: 0.05,
		warmup: o.procWarmup,
		n:      o.procSamples,
	}, proxy, stop, nil
}

// statusOK runs status through the socket and checks it lists every
// program.
func statusOK(ctx context.Context, poolvisor, sock string, programs int) error {
	out, err := exec.CommandContext(ctx, poolvisor, "exec", "--socket", sock, "--json", "--", "supervisor", "status").Output()
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	var doc struct {
		Status string `json:"status"`
		Data   struct {
			Programs []json.RawMessage `json:"programs"`
		} `json:"data"`
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&doc); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	// The listener is a process too.
	if doc.Status != "ok" || len(doc.Data.Programs) < programs {
		return fmt.Errorf("status: %s with %d programs", doc.Status, len(doc.Data.Programs))
	}
	return nil
}

// until calls f until it succeeds, for at most limit.
func until(ctx context.Context, limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// socketPath is where the sandbox's serve listens.
func socketPath(dir string) string { return filepath.Join(dir, "poolvisor.sock") }
