package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// waitLog waits until one line of serve's log holds every part.
func waitLog(t *testing.T, logs *logBuffer, what string, parts ...string) {
	t.Helper()
	for deadline := time.Now().Add(settle); ; time.Sleep(50 * time.Millisecond) {
		for _, line := range strings.Split(logs.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s in serve's log:\n%s", what, logs.String())
		}
	}
}

// crashPosts counts the crash alerts of crasher posted to the notify
// channel after since.
func crashPosts(fake *slackfake.Server, since int) int {
	n := 0
	for i, m := range fake.Messages() {
		if i >= since && m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), "supervisor restart crasher") {
			n++
		}
	}
	return n
}

// TestMaintenanceHoldsAlerts: a window started from one process (exec)
// holds back the alert of a real crash in another (serve), and once it
// is stopped one message sums up what it held.
func TestMaintenanceHoldsAlerts(t *testing.T) {
	se := newSlackEnv(t, "http", sandbox.Program{Name: "web", Command: loop("serving")}, crasher())
	se.waitRunning("web")
	se.want("alice", "supervisor events enable", "ok", 0)

	se.want("alice", "ops maintenance start 0s", "invalid", 2)
	se.want("alice", "ops maintenance start 25h", "invalid", 2) // maintenance.max_duration: 24h
	se.want("alice", "ops maintenance start soon", "invalid", 2)
	if r := se.want("vic", "ops maintenance", "ok", 0); !strings.Contains(r.Message, "No maintenance window runs.") {
		t.Fatalf("refused starts left a window: %s", r.Message)
	}
	se.want("vic", "ops maintenance start 1h", "denied", 3)
	se.want("alice", "ops maintenance start 1h kernel update", "ok", 0)
	if r := se.want("vic", "ops maintenance", "ok", 0); !strings.Contains(r.Message, "by local:alice") || !strings.Contains(r.Message, "kernel update") {
		t.Errorf("the list lacks the window: %s", r.Message)
	}

	since := se.fake.Seq()
	se.exec("alice", "supervisor start crasher") // fails: that is the point
	waitLog(t, se.logs, "the FATAL held", `msg="maintenance: alert held"`, "program=crasher", "state=FATAL")
	if n := crashPosts(se.fake, since); n != 0 {
		t.Fatalf("%d crash alerts posted during the window", n)
	}

	se.want("alice", "ops maintenance stop", "ok", 0)
	sum := se.wait(since, "the summary of the window", func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.Text, "Maintenance on e2e ended")
	})
	if !strings.Contains(sum.Text, "crasher FATAL") {
		t.Errorf("the summary does not name the crash: %s", sum.Text)
	}
	if n := crashPosts(se.fake, since); n != 0 {
		t.Errorf("%d crash alerts posted for a crash held by the window", n)
	}
	se.want("alice", "ops maintenance stop", "invalid", 2) // none runs any more
}

// TestMuteEnds: a muted program's crash is not posted; once the mute's
// time has passed, its next crash is.
func TestMuteEnds(t *testing.T) {
	se := newSlackEnv(t, "http", sandbox.Program{Name: "web", Command: loop("serving")}, crasher())
	se.waitRunning("web")
	se.want("alice", "supervisor events enable", "ok", 0)
	se.want("alice", "ops mute crasher 48h", "invalid", 2)
	se.want("alice", "ops mute crasher 15s", "ok", 0)
	if r := se.want("vic", "ops maintenance", "ok", 0); !strings.Contains(r.Message, "crasher on e2e until") {
		t.Fatalf("the list lacks the mute: %s", r.Message)
	}

	since := se.fake.Seq()
	se.exec("alice", "supervisor start crasher")
	waitLog(t, se.logs, "the FATAL muted", `msg="alert muted"`, "program=crasher", "state=FATAL")
	if n := crashPosts(se.fake, since); n != 0 {
		t.Fatalf("%d crash alerts posted while muted", n)
	}
	for deadline := time.Now().Add(settle); ; time.Sleep(500 * time.Millisecond) {
		if r := se.want("vic", "ops maintenance", "ok", 0); strings.Contains(r.Message, "No mutes.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the mute did not end")
		}
	}
	se.exec("alice", "supervisor start crasher")
	se.wait(since, "the crash alert after the mute", func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), "supervisor restart crasher")
	})
}

// TestMaintenanceFreeze: during a window with --freeze, an operator's
// write is refused with who, why and until; an approver's goes through,
// as does stopping the window; after it, the operator writes again. Each
// request is a process of its own over the same data directory, so the
// window outlives every one of them.
func TestMaintenanceFreeze(t *testing.T) {
	no := false
	e := newEnv(t, sandbox.Program{Name: "web", Command: loop("serving")},
		sandbox.Program{Name: "idle", Command: loop("idle"), Autostart: &no},
		sandbox.Program{Name: "idle2", Command: loop("idle"), Autostart: &no})
	e.waitRunning("web")
	e.want("vic", "ops maintenance start 1h --freeze", "denied", 3)
	if r := e.want("olga", "ops maintenance start 1h --freeze deploy v2", "ok", 0); !strings.Contains(r.Message, "frozen") {
		t.Errorf("the answer does not say writes are frozen: %s", r.Message)
	}

	r := e.want("olga", "supervisor start idle", "denied", 3)
	for _, part := range []string{"local:olga", "deploy v2", "until", "admin"} {
		if !strings.Contains(r.Message, part) {
			t.Errorf("the refusal lacks %q: %s", part, r.Message)
		}
	}
	e.want("olga", "supervisor start idle --plan", "ok", 0) // a plan writes nothing
	e.want("alice", "supervisor start idle", "ok", 0)       // an approver
	e.want("olga", "supervisor start idle2", "denied", 3)

	e.want("olga", "ops maintenance stop", "ok", 0)
	e.want("olga", "supervisor start idle2", "ok", 0)
}

// TestFleetMaintenanceHoldsRelayedAlerts: on a hub, a window on one host
// holds back the alerts its agent relays, and its end is summed up.
func TestFleetMaintenanceHoldsRelayedAlerts(t *testing.T) {
	hub, fake, logs := fleetWithSlack(t)
	hub.want("alice", "supervisor events enable", "ok", 0)
	hub.want("alice", "ops maintenance start 1h --host web-01 fleet patching", "ok", 0)

	since := fake.Seq()
	hub.exec("alice", "supervisor start crasher")
	waitLog(t, logs, "the relayed FATAL held", `msg="maintenance: alert held"`, "host=web-01", "program=crasher", "state=FATAL")
	if n := crashPosts(fake, since); n != 0 {
		t.Fatalf("%d crash alerts posted during the window", n)
	}
	hub.want("alice", "ops maintenance stop --host web-01", "ok", 0)
	sum, err := fake.Wait(settle, since, func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.Text, "Maintenance on web-01 ended")
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.Text, "crasher FATAL") {
		t.Errorf("the summary does not name the crash: %s", sum.Text)
	}
}
