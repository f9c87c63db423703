package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
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

// fleetAgents is how many agents the fleet measurement runs.
const fleetAgents = 100

// fleetPair measures `supervisor status --host all` across fleetAgents
// lightweight agents (real NATS server, real agents and pipelines, a
// backend that serves a fixed list of 20 programs) against the same status
// on one of them. The target is an absolute one: all hosts within
// a second; the ratio shows what the fan-out costs over one host.
func fleetPair(ctx context.Context) (p pair, stop func(), err error) {
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
	for i := range fleetAgents {
		host := fmt.Sprintf("node-%03d", i)
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
	hub := fleet.NewHub(nc, fleet.HubConfig{Key: key, AgentKeys: pins, Timeout: 2 * time.Second, DefaultHost: "node-000"})
	if err := hub.Start(agentCtx); err != nil {
		return p, stop, err
	}
	if n := len(hub.Hosts(ctx)); n != fleetAgents {
		return p, stop, fmt.Errorf("the hub found %d agents, want %d", n, fleetAgents)
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
		title:  fmt.Sprintf("fleet: status `--host all` across %d agents vs one agent", fleetAgents),
		a:      side{name: fmt.Sprintf("poolvisor status --host all (%d agents)", fleetAgents), run: status("supervisor status --host all")},
		b:      side{name: "poolvisor status --host node-000 (one agent)", run: status("supervisor status --host node-000")},
		target: fleetAgents, warmup: 3, n: 30, // in parallel: less than asking each agent in turn
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
