package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	grammar "github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/fleet"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// fleetAgents is how many agents the first fleet measurement runs; the
// second runs -fleet-agents of them (1,000 by default).
const fleetAgents = 100

// fleetRun is a fleet measurement's figures besides its timings: the hosts
// the hub's discovery found when Start returned, how long until it had
// heard every one, and the resident memory
// of this process once the samples were taken (the hub, the agents and the
// NATS server all run in it, so this bounds the hub's from above).
type fleetRun struct {
	agents, found int
	all           time.Duration // from Start until every agent was heard
	rssKiB        int64
}

// fleetPair measures `supervisor status --host all` across agents
// lightweight agents (real NATS server, real agents and pipelines, a
// backend that serves a fixed list of 20 programs) against the same status
// on one of them. The target is an absolute one: all hosts within
// a second; the ratio shows what the fan-out costs over one host.
func fleetPair(ctx context.Context, agents int, fr *fleetRun) (p pair, stop func(), err error) {
	var closers []func()
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		return p, stop, err
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		return p, stop, fmt.Errorf("nats server did not start")
	}
	closers = append(closers, srv.Shutdown)
	url := srv.ClientURL()

	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return p, stop, err
	}
	agentCtx, cancel := context.WithCancel(ctx)
	closers = append(closers, cancel)
	fixed := fixedPrograms(20)
	pins := map[string]ed25519.PublicKey{}
	for i := range agents {
		host := fmt.Sprintf("node-%04d", i)
		agentPub, agentKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return p, stop, err
		}
		pins[host] = agentPub
		nc, err := nats.Connect(url)
		if err != nil {
			return p, stop, err
		}
		closers = append(closers, nc.Close)
		local := ops.New(ops.Config{Host: host, Audit: discardAudit{}, Handlers: map[string]ops.Handler{
			"supervisor.program.list": ops.ReadFunc(func(context.Context, ops.Request) (ops.Outcome, error) {
				return ops.Outcome{Message: fmt.Sprintf("%d process(es) on %s", len(fixed.Programs), host), Data: fixed}, nil
			}),
		}})
		ag := fleet.NewAgent(nc, local, fleet.AgentConfig{Host: host, HubKey: pub, Key: agentKey, Heartbeat: time.Hour})
		go func() { _ = ag.Run(agentCtx) }()
		if err := nc.Flush(); err != nil {
			return p, stop, err
		}
	}

	nc, err := nats.Connect(url)
	if err != nil {
		return p, stop, err
	}
	closers = append(closers, nc.Close)
	hub := fleet.NewHub(nc, fleet.HubConfig{Key: key, AgentKeys: pins, Timeout: 2 * time.Second, DefaultHost: "node-0000"})
	began := time.Now()
	if err := hub.Start(agentCtx); err != nil {
		return p, stop, err
	}
	// Hosts counts the pinned keys too: Heard is what discovery found. An
	// answer after Start stopped waiting is still taken; how long until
	// every agent was heard is reported, within a minute.
	fr.agents, fr.found = agents, hub.Heard()
	for deadline := time.Now().Add(time.Minute); hub.Heard() < agents && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	fr.all = time.Since(began)
	if n := hub.Heard(); n != agents {
		return p, stop, fmt.Errorf("the hub heard from %d agents within a minute, want %d", n, agents)
	}
	dir, err := os.MkdirTemp("", "poolvisor-bench-fleet-")
	if err != nil {
		return p, stop, err
	}
	closers = append(closers, func() { os.RemoveAll(dir) })
	db, err := sqlitedb.Open(dir)
	if err != nil {
		return p, stop, err
	}
	closers = append(closers, func() { db.Close() })
	trail, err := audit.New(ctx, db, filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		return p, stop, err
	}
	pipe := ops.New(ops.Config{
		Host: "hub", Parser: grammar.Parser{}, Audit: trail,
		Authz:    authz.New(map[string][]string{"viewer": {"supervisor.program.list"}}, []authz.Binding{{Role: "viewer", Users: map[string][]string{"local": []string{"bench"}}}}),
		Handlers: hub.Handlers(), ResolveHost: hub.ResolveHost,
	})
	who := ops.Actor{Platform: "local", ID: "bench"}
	status := func(text string) func(context.Context) error {
		return func(ctx context.Context) error {
			res := pipe.Run(ctx, who, text)
			if res.Status != ops.StatusOK {
				return fmt.Errorf("%s: %s: %s", text, res.Status, res.Message)
			}
			return nil
		}
	}
	return pair{
		title:  fmt.Sprintf("fleet: status `--host all` across %d agents vs one agent", agents),
		a:      side{name: fmt.Sprintf("poolvisor status --host all (%d agents)", agents), run: status("supervisor status --host all")},
		b:      side{name: "poolvisor status --host node-0000 (one agent)", run: status("supervisor status --host node-0000")},
		target: float64(agents), warmup: 3, n: 30, // in parallel: less than asking each agent in turn
	}, stop, nil
}

func fixedPrograms(n int) ops.ProgramList {
	var l ops.ProgramList
	for i := range n {
		l.Programs = append(l.Programs, ops.Process{Name: fmt.Sprintf("worker_%02d", i), Group: "worker", State: "RUNNING", PID: 1000 + i})
	}
	return l
}

// discardAudit is the lightweight agents' audit: the hub's is the real one.
type discardAudit struct{}

func (discardAudit) Record(context.Context, ops.AuditEntry) error          { return nil }
func (discardAudit) Recent(context.Context, int) ([]ops.AuditEntry, error) { return nil, nil }

// rssKiB is this process's resident set size (VmRSS), or -1 where
// /proc/self/status cannot be read.
func rssKiB() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// measureFleet sets up agents agents, measures and tears them down.
func measureFleet(ctx context.Context, agents int, stderr io.Writer) (result, fleetRun, error) {
	var fr fleetRun
	fmt.Fprintf(stderr, "measuring fleet status across %d agents on a real NATS server...\n", agents)
	fl, stop, err := fleetPair(ctx, agents, &fr)
	if err != nil {
		return result{}, fr, err
	}
	defer stop()
	r, err := measure(ctx, fl)
	fr.rssKiB = rssKiB()
	return r, fr, err
}

// reportFleet prints what a fleet measurement found besides its timings.
func reportFleet(w io.Writer, runs []fleetRun) {
	for _, fr := range runs {
		fmt.Fprintf(w, "fleet of %d agents: discovery found %d when Start returned, all %d after %s; process RSS after the samples %.1f MiB (hub, agents and NATS server in one process)\n",
			fr.agents, fr.found, fr.agents, fr.all.Round(time.Millisecond), float64(fr.rssKiB)/1024)
	}
}
