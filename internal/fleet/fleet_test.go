package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox/natsbox"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// These tests run a real NATS server, a real hub pipeline (parser, roles,
// approvals and audit in SQLite) and lightweight agents: real agents and
// real agent pipelines whose backend serves a fixed program list and
// counts restarts. The end-to-end tests in internal/app run agents on
// real supervisord and php-fpm.

var (
	operator = ops.Actor{Platform: "local", ID: "olive"}
	admin    = ops.Actor{Platform: "local", ID: "ada"}
)

// stubHost is a host's backend: three programs, and a restart that counts;
// program files in a directory of its own, with a real history (roll_test.go).
type stubHost struct {
	name     string
	restarts atomic.Int64
	audit    *memAudit
	files    *fileHost
	// gate, when set, holds a restart's apply: it sends its run's ID on
	// entered and waits for gate (roll_test.go).
	gate    chan struct{}
	entered chan string
}

func (s *stubHost) handlers() map[string]ops.Handler {
	return map[string]ops.Handler{
		"supervisor.program.list": ops.ReadFunc(func(context.Context, ops.Request) (ops.Outcome, error) {
			list := ops.ProgramList{Programs: []ops.Process{
				{Name: "web", Group: "web", State: "RUNNING", PID: 100},
				{Name: "queue:queue_00", Group: "queue", State: "RUNNING", PID: 101},
				{Name: "cron", Group: "cron", State: "STOPPED"},
			}}
			return ops.Outcome{Message: s.name + ": 3 programs", Data: list}, nil
		}),
		"supervisor.program.restart": handlerFunc(func(_ context.Context, req ops.Request) (*ops.Plan, error) {
			if req.Op.Target != "web" {
				return nil, ops.Invalidf("no program %q on %s", req.Op.Target, s.name)
			}
			n := s.restarts.Load()
			return &ops.Plan{
				Summary: "restart web", Fingerprint: fmt.Sprint(n),
				Apply: func(ctx context.Context) (ops.Outcome, error) {
					if s.gate != nil {
						s.entered <- ops.RunOf(ctx).ID
						<-s.gate
					}
					if by, ok := ops.RunOf(ctx).Cancelled(); ok {
						return ops.Outcome{Message: "web not restarted on " + s.name + ": run " + ops.RunOf(ctx).ID + " cancelled by " + by}, nil
					}
					s.restarts.Add(1)
					return ops.Outcome{Message: "web restarted on " + s.name}, nil
				},
			}, nil
		}),
	}
}

type handlerFunc func(ctx context.Context, req ops.Request) (*ops.Plan, error)

// withXMLRPC adds a stand-in xmlrpc set whose answer has a password for
// the requester alone (private_test.go).
func (s *stubHost) withXMLRPC(h map[string]ops.Handler) map[string]ops.Handler {
	h["supervisor.xmlrpc.set"] = handlerFunc(func(context.Context, ops.Request) (*ops.Plan, error) {
		return &ops.Plan{Summary: "set xmlrpc", Fingerprint: "fp", Apply: func(context.Context) (ops.Outcome, error) {
			return ops.Outcome{Message: "set on " + s.name, Private: "password of " + s.name + ": pw-" + s.name}, nil
		}}, nil
	})
	return h
}

func (f handlerFunc) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	return f(ctx, req)
}

// memAudit is an agent's audit trail, kept in memory for the lightweight agents.
type memAudit struct {
	mu      sync.Mutex
	entries []ops.AuditEntry
}

func (m *memAudit) Record(_ context.Context, e ops.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, e)
	return nil
}

func (m *memAudit) Recent(context.Context, int) ([]ops.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.entries), nil
}

type fleetEnv struct {
	t      *testing.T
	nats   *natsbox.Server
	dial   func(name string) *nats.Conn // a connection as the hub or as a host
	key    ed25519.PrivateKey
	hub    *Hub
	pipe   *ops.Pipeline
	hosts  map[string]*stubHost
	cancel map[string]context.CancelFunc
	// stop stops a host's agent without waiting for the server to forget
	// its subscription (cancel waits for that).
	stop map[string]func()
	// agentKeys are the hosts' own keys; the hub pins their public halves.
	agentKeys map[string]ed25519.PrivateKey
	// backend, when set, gives a host's agent these handlers instead of
	// the stub's (progress_test.go: real supervisord).
	backend func(host string) map[string]ops.Handler
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := Connect(ConnConfig{URL: url, Name: t.Name(), Wait: true}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newFleet(t *testing.T, hosts ...string) *fleetEnv {
	t.Helper()
	srv := natsbox.Start(t, nil)
	return newFleetOn(t, srv, func(string) *nats.Conn { return connect(t, srv.URL()) }, hosts...)
}

// newFleetOn starts the agents of hosts and a hub on srv, each connected by dial.
func newFleetOn(t *testing.T, srv *natsbox.Server, dial func(name string) *nats.Conn, hosts ...string) *fleetEnv {
	t.Helper()
	return newFleetWith(t, srv, dial, nil, hosts...)
}

// newFleetWith is newFleetOn with the agents' handlers from backend (nil:
// the stub hosts').
func newFleetWith(t *testing.T, srv *natsbox.Server, dial func(name string) *nats.Conn, backend func(host string) map[string]ops.Handler, hosts ...string) *fleetEnv {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &fleetEnv{t: t, nats: srv, dial: dial, key: key, hosts: map[string]*stubHost{}, cancel: map[string]context.CancelFunc{}, stop: map[string]func(){},
		agentKeys: map[string]ed25519.PrivateKey{}, backend: backend}
	for _, h := range hosts {
		e.startAgent(h, pub)
	}
	e.hub = NewHub(dial("hub"), HubConfig{
		// Generous: an agent that is gone is named at once (no responders),
		// and a busy machine must not make a live one look unreachable.
		Key: key, AgentKeys: e.pins(), Timeout: 30 * time.Second, DefaultHost: hosts[0],
		Groups: map[string][]string{"web": hosts[:min(2, len(hosts))], "every": hosts}, Channels: map[string]string{"C1": "web", "C2": hosts[len(hosts)-1]},
		Files: map[string]ops.FileOps{programKind: programOps},
		Log:   testLog(t),
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := e.hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.hub.Stop)
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	approvals, err := approval.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.New(ctx, db, filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	e.pipe = ops.New(ops.Config{
		Host: "hub", Parser: command.Parser{}, Authz: testPolicy(), Approvals: approvals, Audit: trail,
		Policy:   testApprovals,
		Handlers: e.hub.Handlers(), ResolveHost: e.hub.ResolveHost, Cancel: e.hub.Cancel,
	})
	return e
}

var testApprovals = ops.ApprovalPolicy{Required: []string{"supervisor.program.delete"}, ApproverRoles: []string{"admin"}, TTL: time.Hour}

// testPolicy is the roles of the hub, and of the agents (who may cancel a run).
func testPolicy() *authz.Policy {
	return authz.New(map[string][]string{
		"operator": {"supervisor.*", "ops.*"},
		"admin":    {"*"},
	}, []authz.Binding{{Role: "operator", Users: map[string][]string{"local": []string{"olive"}}}, {Role: "admin", Users: map[string][]string{"local": []string{"ada"}}}})
}

func (e *fleetEnv) startAgent(host string, pub ed25519.PublicKey) {
	e.t.Helper()
	sh := e.hosts[host]
	if sh == nil {
		sh = &stubHost{name: host, audit: &memAudit{}, files: newFileHost(e.t, host)}
		e.hosts[host] = sh
	}
	if e.agentKeys[host] == nil {
		e.agentKeys[host] = newKey(e.t)
	}
	handlers := sh.files.add(sh.withXMLRPC(sh.handlers()))
	if e.backend != nil {
		handlers = e.backend(host)
	}
	local := ops.New(ops.Config{Host: host, Audit: sh.audit, Handlers: handlers,
		History: sh.files.versions, Authz: testPolicy(), Policy: testApprovals})
	nc := e.dial(host)
	ag := NewAgent(nc, local, AgentConfig{Host: host, Version: "test", HubKey: pub, Key: e.agentKeys[host],
		Heartbeat: time.Hour, Log: testLog(e.t)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ag.Run(ctx) }()
	stop := func() { cancel(); <-done; nc.Close() }
	e.cancel[host] = func() { stop(); e.waitGone(host) }
	e.stop[host] = stop
	e.t.Cleanup(stop)
	// Wait until the agent's subscription reached the server.
	if err := nc.Flush(); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for nc.NumSubscriptions() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = nc.Flush()
}

// waitGone waits until the server has dropped host's agent. Until then a
// request to it is routed to a connection that is closing and goes
// unanswered for the whole request timeout; after, it is refused at once
// (no responders), which is what a test of a host that is down means.
func (e *fleetEnv) waitGone(host string) {
	e.t.Helper()
	probe := e.dial("hub")
	defer probe.Close()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if _, err := probe.Request(AgentSubject(host), nil, time.Second); errors.Is(err, nats.ErrNoResponders) {
			return
		}
	}
	e.t.Fatalf("the agent of %s is still subscribed a minute after it stopped", host)
}

func (e *fleetEnv) run(actor ops.Actor, text string) ops.Result {
	e.t.Helper()
	return e.pipe.Run(context.Background(), actor, text)
}

func TestStatusOnOneHostIsThatHostsAnswer(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	res := e.run(operator, "supervisor status --host web-02")
	if res.Status != ops.StatusOK || !strings.Contains(res.Message, "web-02: 3 programs") {
		t.Fatalf("got %+v", res)
	}
	raw, _ := json.Marshal(res.Data)
	if !strings.Contains(string(raw), `"queue:queue_00"`) {
		t.Errorf("data %s is not the host's program list", raw)
	}
	// Without --host: the default host.
	if res := e.run(operator, "supervisor status"); !strings.Contains(res.Message, "web-01: 3 programs") {
		t.Errorf("default host: %+v", res)
	}
	// A channel's default host.
	ch := operator
	ch.Channel = "C2"
	if res := e.run(ch, "supervisor status"); !strings.Contains(res.Message, "worker-01: 3 programs") {
		t.Errorf("channel default: %+v", res)
	}
}

func TestStatusAcrossAllHasASectionPerHost(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	res := e.run(operator, "supervisor status --host all")
	if res.Status != ops.StatusOK {
		t.Fatalf("got %+v", res)
	}
	for _, h := range []string{"web-01", "web-02", "worker-01"} {
		if !strings.Contains(res.Message, "== "+h+" ==\n"+h+": 3 programs") {
			t.Errorf("no section for %s in:\n%s", h, res.Message)
		}
	}
	// A group: its members only.
	res = e.run(operator, "supervisor status --host web")
	if strings.Contains(res.Message, "worker-01") || !strings.Contains(res.Message, "== web-02 ==") {
		t.Errorf("group web:\n%s", res.Message)
	}
}

func TestUnreachableAgentIsNamedWhileOthersAnswer(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	e.cancel["web-02"]()
	res := e.run(operator, "supervisor status --host all")
	if res.Status != ops.StatusFailed {
		t.Fatalf("status %s, want failed:\n%s", res.Status, res.Message)
	}
	if !strings.Contains(res.Message, "== web-02 ==\nhost unreachable") || !strings.Contains(res.Message, "web-01: 3 programs") ||
		!strings.Contains(res.Message, "worker-01: 3 programs") {
		t.Errorf("message:\n%s", res.Message)
	}
	// Named in /ops hosts too, with when it was last seen.
	hosts := e.run(operator, "ops hosts")
	if !strings.Contains(hosts.Message, "2 of 3 hosts answer") || !regexpLine(hosts.Message, `web-02\s+UNREACHABLE`) {
		t.Errorf("ops hosts:\n%s", hosts.Message)
	}
	// Back: answers again.
	e.startAgent("web-02", e.key.Public().(ed25519.PublicKey))
	if res := e.run(operator, "supervisor status --host all"); res.Status != ops.StatusOK {
		t.Errorf("after the agent came back: %+v", res)
	}
}

func regexpLine(text, pattern string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if ok, _ := matchString(pattern, line); ok {
			return true
		}
	}
	return false
}

func TestWritesTargetOneHostAndRecordTheApproval(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	res := e.run(operator, "supervisor restart web --host web-02")
	if res.Status != ops.StatusOK || e.hosts["web-02"].restarts.Load() != 1 || e.hosts["web-01"].restarts.Load() != 0 {
		t.Fatalf("restart on web-02: %+v (restarts %d/%d)", res, e.hosts["web-02"].restarts.Load(), e.hosts["web-01"].restarts.Load())
	}
	// `all` is for reads.
	if res := e.run(operator, "supervisor restart web --host all"); res.Status != ops.StatusInvalid {
		t.Errorf("write to all: %+v", res)
	}
	// A channel whose default is a group: a write must name its host.
	ch := operator
	ch.Channel = "C1"
	if res := e.run(ch, "supervisor restart web"); res.Status != ops.StatusInvalid || !strings.Contains(res.Message, "--host") {
		t.Errorf("write to a channel's group: %+v", res)
	}
	// Unknown host.
	if res := e.run(operator, "supervisor status --host nowhere"); res.Status != ops.StatusInvalid {
		t.Errorf("unknown host: %+v", res)
	}
	// A bad target is the agent's answer, with its status.
	if res := e.run(operator, "supervisor restart nope --host web-01"); res.Status != ops.StatusInvalid || !strings.Contains(res.Message, `no program "nope" on web-01`) {
		t.Errorf("bad target: %+v", res)
	}
}

func TestGroupWriteWaitsForApprovalThenAppliesOnEveryHost(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	res := e.run(operator, "supervisor restart web --host web")
	if res.Status != ops.StatusPending || res.ApprovalID == "" {
		t.Fatalf("group write: %+v", res)
	}
	if !strings.Contains(res.Message, "== web-01 ==\nrestart web") || !strings.Contains(res.Message, "== web-02 ==\nrestart web") {
		t.Errorf("the request shows what each host will do:\n%s", res.Message)
	}
	if e.hosts["web-01"].restarts.Load()+e.hosts["web-02"].restarts.Load() != 0 {
		t.Fatal("applied before approval")
	}
	if res := e.run(operator, "ops approve "+res.ApprovalID); res.Status != ops.StatusDenied {
		t.Fatalf("the requester, no approver: %+v", res)
	}
	done := e.run(admin, "ops approve "+res.ApprovalID)
	if done.Status != ops.StatusOK {
		t.Fatalf("approve: %+v", done)
	}
	if e.hosts["web-01"].restarts.Load() != 1 || e.hosts["web-02"].restarts.Load() != 1 || e.hosts["worker-01"].restarts.Load() != 0 {
		t.Errorf("restarts: %d %d %d", e.hosts["web-01"].restarts.Load(), e.hosts["web-02"].restarts.Load(), e.hosts["worker-01"].restarts.Load())
	}
	// Each agent recorded what it applied, with the approval.
	for _, h := range []string{"web-01", "web-02"} {
		entries, _ := e.hosts[h].audit.Recent(context.Background(), 10)
		var found bool
		for _, en := range entries {
			if en.Operation == "supervisor.program.restart" && en.ApprovalID == res.ApprovalID && en.Approver == "local:ada" && en.Actor == "local:olive" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s audit %+v lacks the approved restart", h, entries)
		}
	}
}

func TestGroupWriteWithAHostDownAppliesNowhere(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	e.cancel["web-02"]()
	res := e.run(operator, "supervisor restart web --host web")
	if res.Status != ops.StatusFailed || !strings.Contains(res.Message, "not applied to any") || !strings.Contains(res.Message, "web-02: host unreachable") {
		t.Errorf("group write with web-02 down: %s %s", res.Status, res.Message)
	}
	if n := e.hosts["web-01"].restarts.Load(); n != 0 {
		t.Errorf("web-01 restarted %d times", n)
	}
}

func TestAGroupOfOneIsStillAGroup(t *testing.T) {
	e := newFleet(t, "worker-01") // group web is [worker-01]
	if res := e.run(operator, "supervisor restart web --host web"); res.Status != ops.StatusPending {
		t.Errorf("a write to a group of one host: %s, want pending_approval", res.Status)
	}
	res := e.run(operator, "supervisor status --host web")
	if raw, _ := json.Marshal(res.Data); res.Status != ops.StatusOK || !strings.Contains(string(raw), `"hosts":[{"host":"worker-01"`) {
		t.Errorf("a read of a group of one host: %s %s", res.Status, raw)
	}
}

func TestApprovedWriteConflictsWhenTheHostChanged(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	res := e.run(operator, "supervisor restart web --host web")
	e.run(operator, "supervisor restart web --host web-02") // changes web-02's fingerprint
	done := e.run(admin, "ops approve "+res.ApprovalID)
	if done.Status != ops.StatusConflict {
		t.Fatalf("approve after a change: %+v", done)
	}
	if e.hosts["web-01"].restarts.Load() != 0 {
		t.Error("web-01 was restarted although the plan no longer held")
	}
}
