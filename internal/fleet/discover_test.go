package fleet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox/natsbox"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// manyAgents is how many agents TestDiscoveryFindsEveryAgent runs: enough
// that their answers to a discovery arrive as a burst, few enough for two
// shared cores under the race detector (`make bench` runs a thousand).
const manyAgents = 300

// TestDiscoveryFindsEveryAgent runs manyAgents lightweight agents, each on
// its own connection and announcing only once an hour, so that the hub
// knows of them from discovery alone: a hub finds every one, writes them
// to the register, and a hub started after it finds every one again.
func TestDiscoveryFindsEveryAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hundreds of agents")
	}
	srv := natsbox.Start(t, nil)
	hubPub, hubKey := newKeyPair(t)
	pins := map[string]ed25519.PublicKey{}
	ctx := t.Context()
	for i := range manyAgents {
		host := fmt.Sprintf("node-%03d", i)
		key := newKey(t)
		pins[host] = key.Public().(ed25519.PublicKey)
		nc := connect(t, srv.URL())
		local := ops.New(ops.Config{Host: host, Audit: &memAudit{}, Handlers: map[string]ops.Handler{
			"supervisor.program.list": ops.ReadFunc(func(context.Context, ops.Request) (ops.Outcome, error) {
				return ops.Outcome{Message: host + ": 3 programs"}, nil
			}),
		}})
		ag := NewAgent(nc, local, AgentConfig{Host: host, Version: "test", HubKey: hubPub, Key: key, Heartbeat: time.Hour, Log: testLog(t)})
		actx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = ag.Run(actx) }()
		t.Cleanup(func() { cancel(); <-done })
		for deadline := time.Now().Add(10 * time.Second); nc.NumSubscriptions() < 2 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if err := nc.Flush(); err != nil { // its subscriptions reached the server
			t.Fatal(err)
		}
	}
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := NewRegister(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var dropped atomic.Int64
	start := func() (*Hub, time.Time) {
		h := NewHub(connect(t, srv.URL()), HubConfig{Key: hubKey, AgentKeys: pins, Timeout: 30 * time.Second,
			DefaultHost: "node-000", Register: reg, Log: testLog(t), Dropped: func() { dropped.Add(1) }})
		began := time.Now()
		if err := h.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("discovery: %d of %d agents when Start returned after %s", h.heardSince(began), manyAgents, time.Since(began).Round(time.Millisecond))
		return h, began
	}
	// Every agent is subscribed, and none announces before an hour: the
	// hub hears of each from its one discovery, some perhaps after Start
	// stopped waiting (a busy machine), none lost.
	heardAll := func(h *Hub, since time.Time) {
		t.Helper()
		n := 0
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if n = h.heardSince(since); n == manyAgents {
				return
			}
		}
		t.Fatalf("the hub heard from %d agents, want %d", n, manyAgents)
	}
	hub, began := start()
	heardAll(hub, began)
	hub.Stop()
	var saved int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fleet_hosts`).Scan(&saved); err != nil || saved != manyAgents {
		t.Fatalf("the register holds %d hosts (%v), want %d", saved, err, manyAgents)
	}

	// A restarted hub remembers every host from the register, and hears
	// every one answer its discovery again.
	again, began := start()
	t.Cleanup(again.Stop)
	if n := again.Heard(); n != manyAgents {
		t.Errorf("the restarted hub remembers %d hosts, want %d", n, manyAgents)
	}
	heardAll(again, began)
	if n := dropped.Load(); n > 0 {
		t.Logf("the NATS client dropped messages %d times; discovery made up for it", n)
	}

	// One read across all: every host answers, and the answer summarises.
	pipe := ops.New(ops.Config{Host: "hub", Parser: command.Parser{}, Authz: testPolicy(), Audit: &memAudit{},
		Handlers: again.Handlers(), ResolveHost: again.ResolveHost})
	res := pipe.Run(ctx, operator, "supervisor status --host all")
	if res.Status != ops.StatusOK {
		t.Fatalf("status --host all: %s\n%.2000s", res.Status, res.Message)
	}
	if len(res.Body.Hosts) != 0 || res.Attachment == nil {
		t.Fatalf("status --host all across %d hosts: %d sections in the message, attachment %v; want a summary and the whole as a document",
			manyAgents, len(res.Body.Hosts), res.Attachment != nil)
	}
	if n := strings.Count(string(res.Attachment.Content), ": 3 programs"); n != manyAgents {
		t.Errorf("the attachment holds %d hosts' answers, want %d", n, manyAgents)
	}
	if !strings.Contains(res.Message, fmt.Sprintf("%d of %d hosts answered", manyAgents, manyAgents)) {
		t.Errorf("the summary does not count the hosts:\n%s", res.Message)
	}
}

// heardSince counts the hosts heard from after t.
func (h *Hub) heardSince(t time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.seen {
		if s.at.After(t) {
			n++
		}
	}
	return n
}

func newKeyPair(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	key := newKey(t)
	return key.Public().(ed25519.PublicKey), key
}

// TestFanOutNamesWhatMissedTheDeadline: a read to many hosts keeps at
// most maxInFlight out at once, stops at one deadline, and names every
// host that did not answer by then, asked or not.
//
// The hosts that hang here wait for the whole fan-out's deadline, not
// their own timeout (the hub's send bounds that), so they hold their
// slots until the end and the ones queued behind them are never asked.
func TestFanOutNamesWhatMissedTheDeadline(t *testing.T) {
	hosts := make([]string, 3*maxInFlight)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%03d", i)
	}
	var inFlight, most atomic.Int64
	release := make(chan struct{})
	// Three waves of 100ms each: the slow hosts hold their slots to the end.
	got := fanOut(t.Context(), 100*time.Millisecond, hosts, func(ctx context.Context, host string) string {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if host >= "h100" { // these never answer
			select {
			case <-ctx.Done():
				return "late " + host
			case <-release:
			}
		}
		return "ok " + host
	}, func(host string, why error) string {
		if !errors.Is(why, ErrUnreachable) {
			t.Errorf("%s missed for %v, not as unreachable", host, why)
		}
		return "missed " + host
	})
	close(release)
	if m := most.Load(); m > maxInFlight {
		t.Errorf("%d requests in flight at once, want at most %d", m, maxInFlight)
	}
	for i, host := range hosts {
		want := "ok " + host
		if host >= "h100" {
			want = "late " + host
			if !strings.HasSuffix(got[i], host) || got[i] == "ok "+host {
				t.Errorf("%s: %q, want it late or missed", host, got[i])
			}
			continue
		}
		if got[i] != want {
			t.Errorf("%s: %q, want %q", host, got[i], want)
		}
	}
}
