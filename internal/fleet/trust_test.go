package fleet

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// impostor answers on subject as an agent would, with what answer makes
// of the question, signed in domain with key.
func impostor(t *testing.T, nc *nats.Conn, subject, domain string, key ed25519.PrivateKey, answer func(q []byte) any) {
	t.Helper()
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		b, _ := json.Marshal(answer(m.Data))
		r := nats.NewMsg(m.Reply)
		r.Data = b
		r.Header.Set(sigHeader, signAs(key, domain, b))
		_ = nc.PublishMsg(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

func nonceOf(q []byte) string {
	var d discoverQuestion
	_ = json.Unmarshal(q, &d)
	return d.Nonce
}

// Issue 13, item 9: an agent answered discovery as ghost-01 and the hub
// kept it for 30 days. Discovery answers count only when signed by the key
// pinned for the host they name.
func TestDiscoveryBelievesOnlyPinnedKeys(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	nc := connect(t, e.nats.URL())
	stolen := e.agentKeys["web-02"] // the key of a real host, answering for others
	impostor(t, nc, discoverSubj, domainAnnounce, stolen, func(q []byte) any {
		return Announce{Host: "ghost-01", Nonce: nonceOf(q), Version: "evil", Sent: time.Now()}
	})
	impostor(t, nc, discoverSubj, domainAnnounce, newKey(t), func(q []byte) any {
		return Announce{Host: "web-01", Nonce: nonceOf(q), Version: "evil", Sent: time.Now()}
	})
	impostor(t, nc, discoverSubj, domainAnnounce, e.agentKeys["web-01"], func([]byte) any { // an old answer, played back
		return Announce{Host: "web-01", Nonce: "0123", Version: "evil", Sent: time.Now()}
	})
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := NewRegister(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(e.dial("hub"), HubConfig{Key: e.key, AgentKeys: e.pins(), Timeout: time.Second, DefaultHost: "web-01",
		Register: reg, Log: testLog(t)})
	if err := hub.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Stop)
	if got := hub.Hosts(t.Context()); !slices.Equal(got, []string{"web-01", "web-02"}) {
		t.Errorf("hosts %v, want web-01 and web-02", got)
	}
	for _, h := range []string{"web-01", "web-02"} { // (on a slow machine, discovery may end before they answer)
		if s, ok := hub.lastSeen(h); ok && s.Version != "test" {
			t.Errorf("%s seen as %+v, want its own announcement", h, s)
		}
	}
	known, err := reg.remembered(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range known {
		if s.Host == "ghost-01" || s.Version == "evil" {
			t.Errorf("the register keeps %+v", s)
		}
	}

	// A ghost remembered by a hub from before pinned keys is forgotten.
	if err := reg.saveAll(t.Context(), map[string]seenHost{"ghost-01": {Announce: Announce{Host: "ghost-01", Version: "evil"}, at: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	later := NewHub(e.dial("hub"), HubConfig{Key: e.key, AgentKeys: e.pins(), Timeout: time.Second, DefaultHost: "web-01",
		Register: reg, Log: testLog(t)})
	if err := later.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(later.Stop)
	if got := later.Hosts(t.Context()); slices.Contains(got, "ghost-01") {
		t.Errorf("a remembered ghost is a host: %v", got)
	}
	// Heartbeats likewise: a ghost's, and web-01's under another key, are
	// dropped. An alert after them shows they were handled (one
	// subscription takes them in order).
	got := make(chan string, 4)
	later.AddNotifier("test", recorder(got))
	beat := func(host string, key ed25519.PrivateKey) {
		b, _ := json.Marshal(Announce{Host: host, Version: "evil", Sent: time.Now()})
		m := nats.NewMsg(announcePrefix + Token(host))
		m.Data = b
		m.Header.Set(sigHeader, signAs(key, domainAnnounce, b))
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	beat("ghost-01", stolen)
	beat("web-01", stolen)
	publishAlert(t, nc, "web-02", e.agentKeys["web-02"], AlertEvent{ID: "sync", Host: "web-02", What: "post", Ref: "s",
		Alert: alertFor("sync", "FATAL")})
	nextPost(t, got)
	if got := later.Hosts(t.Context()); slices.Contains(got, "ghost-01") {
		t.Errorf("a ghost's heartbeat made a host: %v", got)
	}
	if s, _ := later.lastSeen("web-01"); s.Version == "evil" {
		t.Errorf("web-01 is seen as %+v", s)
	}
}

// Replies count only when signed by the key pinned for the host asked, and
// only for the request asked: a forged answer neither wins nor shuts out
// the real one.
func TestHubBelievesOnlyItsAgentsReplies(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	nc := connect(t, e.nats.URL())
	forge := func(subject string, key ed25519.PrivateKey, sameID bool) {
		impostor(t, nc, subject, domainReply, key, func(q []byte) any {
			var req Request
			_ = json.Unmarshal(q, &req)
			r := Reply{Host: req.Host, Message: "forged", Data: json.RawMessage(`{"programs":[]}`)}
			if sameID {
				r.ID = req.ID
			}
			return r
		})
	}
	forge(AgentSubject("web-01"), e.agentKeys["web-02"], true)  // another host's key
	forge(AgentSubject("web-01"), newKey(t), true)              // a stranger's
	forge(AgentSubject("web-01"), e.agentKeys["web-01"], false) // web-01's own, but for another request
	res := e.run(operator, "supervisor status --host web-01")
	if res.Status != ops.StatusOK || res.Message != "web-01: 3 programs" {
		t.Fatalf("with forged answers about: %+v", res)
	}
	// With the real agent gone, forged answers do not stand in for it.
	// (The impostors keep the subject subscribed, so the server may route
	// to the stopped agent's subscription for a moment: ask until it
	// does not.)
	e.stop["web-01"]()
	for deadline := time.Now().Add(time.Minute); ; {
		res = e.run(operator, "supervisor status --host web-01")
		if strings.Contains(res.Message, "forged") {
			t.Fatalf("a forged answer stood in for the agent: %+v", res)
		}
		if res.Status == ops.StatusFailed || time.Now().After(deadline) {
			break
		}
	}
	if res.Status != ops.StatusFailed || !strings.Contains(res.Message, "unreachable") {
		t.Errorf("only forged answers: %+v", res)
	}
}

// Issue 13, item 9 (replays): a signed request within its deadline, played
// back to an agent that restarted in between, is refused as a replay.
func TestAgentRemembersRequestsAcrossRestarts(t *testing.T) {
	e := newFleet(t, "web-01")
	dir := t.TempDir()
	sh := &stubHost{name: "web-09", audit: &memAudit{}}
	startAgent := func() (stop func()) {
		db, err := sqlitedb.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		replays, err := NewReplayCache(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		nc := connect(t, e.nats.URL())
		ag := NewAgent(nc, ops.New(ops.Config{Host: "web-09", Audit: sh.audit, Handlers: sh.handlers()}), AgentConfig{
			Host: "web-09", HubKey: e.key.Public().(ed25519.PublicKey), Key: newKey(t), Replays: replays,
			Heartbeat: time.Hour, Log: testLog(t)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = ag.Run(ctx) }()
		waitSubscribed(t, nc)
		return func() { cancel(); <-done; nc.Close(); db.Close() }
	}
	now := time.Now()
	req := Request{V: protocolVersion, ID: "once", Host: "web-09", Kind: KindApply, Sent: now, Deadline: now.Add(5 * time.Minute),
		Actor: admin, Op: ops.Operation{Name: "supervisor.program.restart", Target: "web"}}
	client := connect(t, e.nats.URL())
	ask := func() Reply {
		t.Helper()
		m, err := client.RequestMsg(signed(t, e.key, req), 5*time.Second)
		if errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) {
			// The stopped agent's subscription may linger on the server
			// for a moment and take the request: ask again, once.
			m, err = client.RequestMsg(signed(t, e.key, req), 5*time.Second)
		}
		if err != nil {
			t.Fatal(err)
		}
		var r Reply
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	stop := startAgent()
	if r := ask(); r.Status != "" {
		t.Fatalf("first time: %+v", r)
	}
	stop()
	stop = startAgent()
	defer stop()
	if r := ask(); r.Status != ops.StatusDenied || !strings.Contains(r.Message, "replay") {
		t.Errorf("played back after a restart: %+v", r)
	}
	if n := sh.restarts.Load(); n != 1 {
		t.Errorf("restarts = %d, want 1", n)
	}
}

// waitSubscribed waits until an agent's two subscriptions reached the server.
func waitSubscribed(t *testing.T, nc *nats.Conn) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); nc.NumSubscriptions() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the agent did not subscribe within 5s")
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// Waiting for a signed reply still tells a host without an agent from one
// whose agent does not answer.
func TestAHostWithoutAnAgentIsNamedSo(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	e.cancel["web-02"]()
	// The server drops the closed connection's subscription on its own
	// time; until then a request waits for an answer in vain.
	var res ops.Result
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if res = e.run(operator, "supervisor status --host web-02"); strings.Contains(res.Message, "no agent for web-02 is connected") {
			break
		}
	}
	if res.Status != ops.StatusFailed || !strings.Contains(res.Message, "no agent for web-02 is connected") {
		t.Errorf("got %+v", res)
	}
}
