package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/supervisor"
)

const listenerProc = supervisor.ListenerGroup + ":" + supervisor.ListenerGroup

// TestEventListenerCannotBeSilenced: poolvisor's own event listener
// answers only to /supervisor events; control ops on all leave it alone;
// and when it stops anyway, an alert says so and /healthz names it
// (issue 14, item 5).
func TestEventListenerCannotBeSilenced(t *testing.T) {
	se := newSlackEnv(t, "http", sandbox.Program{Name: "web", Command: loop("serving")})
	se.waitRunning("web")
	se.want("alice", "supervisor events enable", "ok", 0)
	se.waitRunning(supervisor.ListenerGroup)

	for _, text := range []string{
		"supervisor stop poolvisor-events",
		"supervisor stop poolvisor-events:*",
		"supervisor restart " + listenerProc,
		"supervisor start poolvisor-events",
		"supervisor edit poolvisor-events --autostart false",
		"supervisor delete poolvisor-events",
		"supervisor update poolvisor-events",
		"supervisor rollback poolvisor-events",
	} {
		r := se.want("alice", text, "invalid", 2)
		if !strings.Contains(text, "rollback") && !strings.Contains(r.Message, "/supervisor events") {
			t.Errorf("%q: the refusal does not say what to use instead: %s", text, r.Message)
		}
	}
	plan := se.want("alice", "supervisor stop all --plan", "ok", 0)
	if !strings.Contains(plan.Message, "left alone") || strings.Contains(plan.Message, "stop "+listenerProc) {
		t.Errorf("stop all would touch the listener, or does not say it will not:\n%s", plan.Message)
	}
	se.waitRunning(supervisor.ListenerGroup, "web")
	if code, body := healthz(t, se.base); code != http.StatusOK {
		t.Fatalf("healthz %d with the listener running: %s", code, body)
	}

	// Stopped behind poolvisor's back (by root on the host).
	c, err := supervisor.NewClient(se.sv.URL, "", "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	since := se.fake.Seq()
	if err := c.StopProcess(context.Background(), listenerProc, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "healthz to name the stopped listener", func() bool {
		code, body := healthz(t, se.base)
		return code == http.StatusServiceUnavailable && strings.Contains(body, supervisor.ListenerGroup)
	})
	alert := se.wait(since, "the alert about the listener", func(m slackfake.Message) bool {
		return m.Channel == slackNotify && strings.Contains(m.Text, "event listener") && strings.Contains(m.Text, "STOPPED")
	})
	posts := 0
	for _, m := range se.fake.Messages() {
		if m.Seq > since && m.Kind == "post" && strings.Contains(m.Text, "event listener") {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d alerts about one stopped listener", posts)
	}

	// start all leaves it as it is.
	se.want("alice", "supervisor start all", "ok", 0)
	if st, _ := se.sv.ProcessStates(context.Background()); st[listenerProc] != "STOPPED" {
		t.Errorf("start all touched the listener: %v", st)
	}

	if err := c.StartProcess(context.Background(), listenerProc, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "healthz to be fine again", func() bool {
		code, _ := healthz(t, se.base)
		return code == http.StatusOK
	})
	se.wait(since, "the alert closed", func(m slackfake.Message) bool {
		return m.Kind == "update" && m.TS == alert.TS && strings.Contains(m.Text, "runs again")
	})
}

func healthz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
