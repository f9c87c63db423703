package fleet

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestHubRelaysAgentAlertsWithAHostButton(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	got := make(chan string, 4)
	e.hub.AddNotifier("test", recorder(got))
	pub := e.key.Public().(ed25519.PublicKey)
	nc := connect(t, e.nats.URL())
	ag := NewAgent(nc, ops.New(ops.Config{Host: "web-02", Audit: &memAudit{}}), AgentConfig{Host: "web-02", HubKey: pub, Key: e.agentKeys["web-02"]})
	n := ag.Notifier()
	ref, err := n.PostAlert(context.Background(), alertFor("queue", "FATAL"))
	if err != nil {
		t.Fatal(err)
	}
	_ = n.UpdateAlert(context.Background(), ref, alertFor("queue", "BACKOFF"))
	_ = n.PostRecovery(context.Background(), ref, alertFor("queue", "RUNNING"))
	want := []string{"post queue FATAL on web-02: supervisor restart queue --host web-02", "update m1 queue BACKOFF", "recover m1 queue"}
	for _, w := range want {
		select {
		case g := <-got:
			if g != w {
				t.Errorf("got %q, want %q", g, w)
			}
		case <-time.After(time.Minute): // reached only on failure
			t.Fatalf("no %q within a minute", w)
		}
	}
}
