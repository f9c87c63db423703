package fleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// signed builds a request the way the hub does, signed with key.
func signed(t *testing.T, key ed25519.PrivateKey, req Request) *nats.Msg {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(AgentSubject(req.Host))
	m.Data = body
	m.Header.Set(sigHeader, hex.EncodeToString(ed25519.Sign(key, body)))
	return m
}

func TestAgentRefusesWhatTheHubDidNotSign(t *testing.T) {
	e := newFleet(t, "web-01")
	nc := connect(t, e.nats.URL())
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	valid := Request{V: protocolVersion, ID: "r1", Host: "web-01", Kind: KindApply, Sent: now, Deadline: now.Add(time.Minute),
		Actor: admin, Op: ops.Operation{Name: "supervisor.program.restart", Target: "web"}}
	ask := func(m *nats.Msg) Reply {
		t.Helper()
		got, err := nc.RequestMsg(m, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r Reply
		if err := json.Unmarshal(got.Data, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := map[string]*nats.Msg{
		"another key": signed(t, stranger, valid),
		"no signature": func() *nats.Msg {
			m := signed(t, e.key, valid)
			m.Header.Del(sigHeader)
			return m
		}(),
		"tampered": func() *nats.Msg {
			m := signed(t, e.key, valid)
			m.Data = []byte(strings.Replace(string(m.Data), `"target":"web"`, `"target":"cron"`, 1))
			return m
		}(),
		"expired": func() *nats.Msg {
			r := valid
			r.ID, r.Deadline = "r2", now.Add(-time.Second)
			return signed(t, e.key, r)
		}(),
		"for another host": func() *nats.Msg {
			r := valid
			r.ID, r.Host = "r3", "web-02"
			m := signed(t, e.key, r)
			m.Subject = AgentSubject("web-01")
			return m
		}(),
	}
	for name, m := range cases {
		if r := ask(m); r.Status != ops.StatusDenied || !strings.Contains(r.Message, "refused by the agent on web-01") {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if n := e.hosts["web-01"].restarts.Load(); n != 0 {
		t.Fatalf("%d restarts from refused requests", n)
	}
	// The hub's own signature works once; its replay is refused.
	ok := signed(t, e.key, valid)
	if r := ask(ok); r.Status != "" {
		t.Fatalf("signed request: %+v", r)
	}
	if r := ask(signed(t, e.key, valid)); r.Status != ops.StatusDenied || !strings.Contains(r.Message, "replay") {
		t.Errorf("replay: %+v", r)
	}
	if n := e.hosts["web-01"].restarts.Load(); n != 1 {
		t.Errorf("restarts = %d, want 1", n)
	}
}
