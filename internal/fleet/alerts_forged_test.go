package fleet

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// publishAlert sends ev on host's alert subject as an agent would, signed
// with key (nil: unsigned), and returns the message for replaying.
func publishAlert(t *testing.T, nc *nats.Conn, host string, key ed25519.PrivateKey, ev AlertEvent) *nats.Msg {
	t.Helper()
	if ev.Sent.IsZero() {
		ev.Sent = time.Now()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(alertPrefix + Token(host))
	m.Data = b
	if key != nil {
		m.Header.Set(sigHeader, signAs(key, domainAlert, b))
	}
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func nextPost(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case g := <-got:
		return g
	case <-time.After(10 * time.Second):
		t.Fatal("nothing posted within 10s")
		return ""
	}
}

// Issue 13, item 8: with web-02's credentials, an alert whose action was
// `ops approve ID` made the hub post a button that approved a pending
// restart on web-01 when an admin clicked it. The hub now makes the button
// from the alert's program and the host that signed it.
func TestAlertButtonsAreTheHubsNotTheAgents(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	got := make(chan string, 8)
	e.hub.AddNotifier("test", recorder(got))
	pending := e.run(operator, "supervisor restart web --host web") // waits for an admin
	if pending.Status != ops.StatusPending {
		t.Fatalf("group restart: %+v", pending)
	}
	nc := connect(t, e.nats.URL()) // web-02's NATS and signing keys, in other hands
	evil := alert.Alert{Kind: "program", Host: "web-01", Program: "queue", State: "FATAL",
		Action: "ops approve " + pending.ApprovalID, ActionLabel: "Restart queue"}
	publishAlert(t, nc, "web-02", e.agentKeys["web-02"], AlertEvent{ID: "a1", Host: "web-02", What: "post", Ref: "r1", Alert: evil})
	post := nextPost(t, got)
	const want = "post queue FATAL on web-02: supervisor restart queue --host web-02"
	if post != want {
		t.Fatalf("posted %q, want %q", post, want)
	}
	// The admin clicks it: it restarts queue on web-02 (which has none),
	// and the restart on web-01 still waits.
	action := strings.TrimPrefix(post, "post queue FATAL on web-02: ")
	if res := e.run(admin, action); res.Status != ops.StatusInvalid || !strings.Contains(res.Message, "web-02") {
		t.Errorf("the click: %+v", res)
	}
	if n := e.hosts["web-01"].restarts.Load() + e.hosts["web-02"].restarts.Load(); n != 0 {
		t.Fatalf("%d restarts from a click on an agent's alert", n)
	}
	if res := e.run(admin, "ops approvals"); !strings.Contains(res.Message, pending.ApprovalID) {
		t.Errorf("the restart on web-01 no longer waits for approval:\n%s", res.Message)
	}

	// Names that are no program get no button at all.
	for i, program := range []string{"all", "queue:*", "web --host web-01", "x\nops approve 1", ""} {
		ev := AlertEvent{ID: "b" + string(rune('0'+i)), Host: "web-02", What: "post", Ref: "r" + string(rune('0'+i)),
			Alert: alert.Alert{Kind: "program", Program: program, State: "FATAL", Action: "ops approve " + pending.ApprovalID}}
		publishAlert(t, nc, "web-02", e.agentKeys["web-02"], ev)
		if post := nextPost(t, got); !strings.HasSuffix(post, "on web-02: ") {
			t.Errorf("program %q: posted %q, want no button", program, post)
		}
	}
	// A pool alert asks for sizing advice on the host that alerted.
	publishAlert(t, nc, "web-02", e.agentKeys["web-02"], AlertEvent{ID: "c1", Host: "web-02", What: "post", Ref: "p1",
		Alert: alert.Alert{Kind: "pool", Program: "www", State: "SATURATED", Action: "ops grant x admin 1h"}})
	if post := nextPost(t, got); post != "post www SATURATED on web-02: fpm tune www --host web-02" {
		t.Errorf("pool alert: %q", post)
	}
	// Its Apply advice button is the hub's too: /fpm tune --apply on the
	// host that alerted, with the instance it named; none when the advice
	// changes nothing or a name is no name.
	advice := func(cur, advised int64) *ops.PoolTune {
		return &ops.PoolTune{Name: "www", CurrentMaxChildren: cur, AdvisedMaxChildren: advised}
	}
	for i, tt := range []struct {
		program string
		detail  alert.PoolDetail
		want    string
	}{
		{"www", alert.PoolDetail{Pool: "www", Advice: advice(1, 4), Apply: "ops approve " + pending.ApprovalID},
			"post www SATURATED on web-02: fpm tune www --host web-02 | apply: fpm tune www --apply --host web-02"},
		{"www --php 8.3", alert.PoolDetail{Pool: "www", PHP: "8.3", Advice: advice(1, 4)},
			"post www --php 8.3 SATURATED on web-02: fpm tune www --php 8.3 --host web-02 | apply: fpm tune www --apply --php 8.3 --host web-02"},
		{"www", alert.PoolDetail{Pool: "www", Advice: advice(4, 4), Apply: "fpm tune www --apply"},
			"post www SATURATED on web-02: fpm tune www --host web-02 | apply: "},
		{"www", alert.PoolDetail{Pool: "www --host web-01", Advice: advice(1, 4)},
			"post www SATURATED on web-02: fpm tune www --host web-02 | apply: "},
		{"www", alert.PoolDetail{Pool: "www", AdviceError: "php-fpm is not running", Apply: "fpm tune www --apply"},
			"post www SATURATED on web-02: fpm tune www --host web-02 | apply: "},
	} {
		d := tt.detail
		publishAlert(t, nc, "web-02", e.agentKeys["web-02"], AlertEvent{ID: fmt.Sprintf("d%d", i), Host: "web-02", What: "post",
			Ref: fmt.Sprintf("q%d", i), Alert: alert.Alert{Kind: "pool", Program: tt.program, State: "SATURATED", Pool: &d}})
		if post := nextPost(t, got); post != tt.want {
			t.Errorf("pool alert %d: %q\nwant %q", i, post, tt.want)
		}
	}
}

// Issue 13, item 9 (alerts): an alert counts only when the key pinned for
// the host whose subject it came on signed it, for that host, recently and
// once.
func TestForgedAlertsAreDropped(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	got := make(chan string, 8)
	e.hub.AddNotifier("test", recorder(got))
	nc := connect(t, e.nats.URL())
	ev := func(id, host string) AlertEvent {
		return AlertEvent{ID: id, Host: host, What: "post", Ref: id, Alert: alertFor("bad-"+id, "FATAL")}
	}
	publishAlert(t, nc, "web-02", nil, ev("unsigned", "web-02"))
	publishAlert(t, nc, "web-02", newKey(t), ev("stranger", "web-02"))
	publishAlert(t, nc, "web-02", e.agentKeys["web-01"], ev("other-key", "web-02"))
	publishAlert(t, nc, "web-02", e.agentKeys["web-02"], ev("claims-web-01", "web-01"))
	publishAlert(t, nc, "ghost-01", newKey(t), ev("ghost", "ghost-01"))
	old := ev("old", "web-02")
	old.Sent = time.Now().Add(-time.Hour)
	publishAlert(t, nc, "web-02", e.agentKeys["web-02"], old)
	once := publishAlert(t, nc, "web-02", e.agentKeys["web-02"], AlertEvent{ID: "ok", Host: "web-02", What: "post", Ref: "ok",
		Alert: alertFor("good", "FATAL")})
	if err := nc.PublishMsg(once); err != nil { // played back
		t.Fatal(err)
	}
	publishAlert(t, nc, "web-01", e.agentKeys["web-01"], AlertEvent{ID: "ok", Host: "web-01", What: "post", Ref: "ok2",
		Alert: alertFor("last", "FATAL")})
	// The hub takes its subjects' messages in order: what arrives before
	// "last" is all that passed.
	for _, want := range []string{"post good FATAL on web-02: supervisor restart good --host web-02",
		"post last FATAL on web-01: supervisor restart last --host web-01"} {
		if post := nextPost(t, got); post != want {
			t.Errorf("posted %q, want %q", post, want)
		}
	}
}
