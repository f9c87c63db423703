package app_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func slackPrograms() []sandbox.Program {
	return []sandbox.Program{
		{Name: "web", Command: loop("serving")},
		{Name: "queue", Command: loop("working"), NumProcs: 2},
	}
}

func TestSlackHTTPEndToEnd(t *testing.T) {
	se := newSlackEnv(t, "http", slackPrograms()...)
	slackFlows(t, se, "http")

	t.Run("bad, missing and stale signatures are refused and change nothing", func(t *testing.T) {
		before := se.waitRunning("web")
		form := se.slashCmd(sAlice, "supervisor stop web").Form()
		body := []byte(form.Encode())
		resign := func(at time.Time, secret string) func(*http.Request) {
			return func(r *http.Request) {
				r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
				r.Header.Set("X-Slack-Signature", slackfake.Sign(secret, at.Unix(), body))
			}
		}
		for name, mutate := range map[string]func(*http.Request){
			"missing signature": func(r *http.Request) { r.Header.Del("X-Slack-Signature") },
			"missing timestamp": func(r *http.Request) { r.Header.Del("X-Slack-Request-Timestamp") },
			"bad signature":     func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64)) },
			"another secret":    resign(time.Now(), "not-the-secret"),
			"stale":             resign(time.Now().Add(-6*time.Minute), slackSecret),
			"ahead":             resign(time.Now().Add(6*time.Minute), slackSecret),
		} {
			for _, path := range []string{"/slack/commands", "/slack/interactions"} {
				if code, _ := se.post(path, form, mutate); code != http.StatusUnauthorized {
					t.Errorf("%s on %s: HTTP %d, want 401", name, path, code)
				}
			}
		}
		time.Sleep(300 * time.Millisecond)
		if after := se.waitRunning("web"); after["web RUNNING"] != before["web RUNNING"] {
			t.Error("a refused request stopped web")
		}
		for _, e := range auditEntries(t, se) {
			if e.Operation == "supervisor.program.stop" {
				t.Errorf("a refused request reached the pipeline: %+v", e)
			}
		}
	})
}

func TestSlackSocketModeEndToEnd(t *testing.T) {
	se := newSlackEnv(t, "socket", slackPrograms()...)
	slackFlows(t, se, "socket")

	t.Run("healthz and metrics see the connection", func(t *testing.T) {
		code, body := get(t, se.base+"/healthz")
		if code != 200 || !strings.Contains(body, `"name":"slack","ok":true,"info":"Socket Mode connected"`) {
			t.Errorf("healthz %d %s", code, body)
		}
		_, body = get(t, se.base+"/metrics")
		if !strings.Contains(body, `poolvisor_chat_api_calls_total{method="chat.postMessage",platform="slack"}`) {
			t.Errorf("metrics lack Slack API calls:\n%.1500s", body)
		}
	})
}

// slackFlows are the end-to-end flows, over either transport.
func slackFlows(t *testing.T, se *slackEnv, mode string) {
	pids := se.waitRunning("web", "queue:queue_00", "queue:queue_01")

	t.Run("status", func(t *testing.T) {
		a := se.command(mode, sVic, "supervisor status")
		if a.ResponseType != "ephemeral" || !strings.Contains(a.all(), "*web* `RUNNING`") || !strings.Contains(a.all(), "queue:queue_01") {
			t.Errorf("status: %s", a.all())
		}
	})

	t.Run("restart needs an admin's click", func(t *testing.T) {
		since := se.fake.Seq()
		a := se.command(mode, sOlga, "supervisor restart web")
		if !strings.Contains(a.all(), "Approval request") {
			t.Fatalf("restart by an operator: %s", a.all())
		}
		msg := se.wait(since, "the approval request", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackChannel })
		copyMsg := se.wait(since, "its copy in the notify channel", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackNotify })
		if len(msg.Buttons()) != 2 || !strings.Contains(msg.All(), "<@U0OLGA>") || !strings.Contains(msg.All(), "restart web") {
			t.Fatalf("approval request: %s", msg.All())
		}
		for i, who := range []slackfake.Slash{sOlga, sVic} {
			since := se.fake.Seq()
			se.interact(mode, click(who, msg, "pv:approve", "10."+strconv.Itoa(i), se.fake.ResponseURL()))
			m := se.wait(since, who.UserName+"'s refusal", func(m slackfake.Message) bool { return m.Kind == "ephemeral" && m.User == who.UserID })
			if !strings.Contains(m.All(), "may") {
				t.Errorf("%s's refusal: %s", who.UserName, m.All())
			}
		}
		if now := se.waitRunning("web"); now["web RUNNING"] != pids["web RUNNING"] {
			t.Fatal("a refused click restarted web")
		}
		since = se.fake.Seq()
		se.interact(mode, click(sAlice, msg, "pv:approve", "10.9", se.fake.ResponseURL()))
		for _, m := range []slackfake.Message{msg, copyMsg} {
			up := se.wait(since, "the decided request", func(u slackfake.Message) bool { return u.Kind == "update" && u.TS == m.TS && u.Channel == m.Channel })
			if len(up.Buttons()) != 0 || !strings.Contains(up.All(), "Approved") || !strings.Contains(up.All(), "<@U0ALICE>") {
				t.Errorf("decided request: %s", up.All())
			}
		}
		if now := se.waitRunning("web"); now["web RUNNING"] == pids["web RUNNING"] {
			t.Error("an approved restart left web's pid as it was")
		}
	})

	t.Run("four clicks at once, one of them retried, apply once", func(t *testing.T) {
		before := se.waitRunning("queue:queue_00", "queue:queue_01")
		since := se.fake.Seq()
		se.command(mode, sOlga, "supervisor restart queue:*")
		msg := se.wait(since, "the approval request", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackChannel })
		id := strings.TrimPrefix(msg.Buttons()[0].Value, "ops approve ")
		since = se.fake.Seq()
		clicks := []struct {
			who   slackfake.Slash
			ts    string
			retry bool
		}{{sAlice, "20.1", false}, {sBob, "20.2", false}, {sAlice, "20.3", false}, {sAlice, "20.1", true}}
		var wg sync.WaitGroup
		for _, c := range clicks {
			wg.Go(func() {
				payload := click(c.who, msg, "pv:approve", c.ts, se.fake.ResponseURL())
				se.interact(mode, payload, func(r *http.Request) {
					if c.retry {
						r.Header.Set("X-Slack-Retry-Num", "1")
						r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
					}
				})
			})
		}
		wg.Wait()
		se.wait(since, "the decided request", func(m slackfake.Message) bool { return m.Kind == "update" && m.TS == msg.TS })
		deadline := time.Now().Add(slackWait)
		for {
			var updates, refused int
			for _, m := range se.fake.Messages() {
				switch {
				case m.Seq <= since:
				case m.Kind == "update" && m.TS == msg.TS:
					updates++
				case m.Kind == "ephemeral" && strings.Contains(m.All(), "already approved"):
					refused++
				}
			}
			if updates == 1 && refused == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d updates and %d refusals; want 1 and 2", updates, refused)
			}
			time.Sleep(50 * time.Millisecond)
		}
		applied := 0
		for _, e := range auditEntries(t, se) {
			if e.Operation == "supervisor.program.restart" && e.Status == "ok" && e.ApprovalID == id {
				applied++
			}
		}
		if applied != 1 {
			t.Errorf("the restart was applied %d times", applied)
		}
		after := se.waitRunning("queue:queue_00", "queue:queue_01")
		if after["queue:queue_00 RUNNING"] == before["queue:queue_00 RUNNING"] {
			t.Error("queue was not restarted")
		}
	})

	var view slackfake.OpenedView
	t.Run("add without arguments opens a form", func(t *testing.T) {
		n := len(se.fake.Views())
		if a := se.command(mode, sAlice, "supervisor add"); a.all() != "\n" {
			t.Errorf("answer to a form command: %q", a.all())
		}
		v, err := se.fake.WaitView(slackWait, n)
		if err != nil {
			t.Fatal(err)
		}
		if v.View.CallbackID != "pv:supervisor.add" || !strings.Contains(string(v.View.Blocks), `"block_id":"command"`) {
			t.Errorf("form: %+v", v.View)
		}
		view = v
	})

	t.Run("an invalid value is answered on its field and changes nothing", func(t *testing.T) {
		if view.ID == "" {
			t.Skip("no form")
		}
		before := digest(t, []string{se.sv.ProgramDir}, se.sv.ConfigFile)
		s := slackfake.Submit{UserID: sAlice.UserID, UserName: "alice", ViewID: view.ID, View: view.View,
			Values: map[string]string{"name": "worker", "command": "/no/such/binary"}}
		a := se.interact(mode, s.Payload())
		if a.ResponseAction != "errors" || !strings.Contains(a.Errors["command"], "/no/such/binary") {
			t.Errorf("answer: %+v", a)
		}
		if after := digest(t, []string{se.sv.ProgramDir}, se.sv.ConfigFile); after != before {
			t.Error("an invalid form changed the program files")
		}
	})

	t.Run("a valid form runs as the submitter and answers in the channel", func(t *testing.T) {
		if view.ID == "" {
			t.Skip("no form")
		}
		since := se.fake.Seq()
		s := slackfake.Submit{UserID: sAlice.UserID, UserName: "alice", ViewID: view.ID, View: view.View,
			Values: map[string]string{"name": "worker", "command": loop("working")}}
		if a := se.interact(mode, s.Payload()); a.ResponseAction != "" {
			t.Fatalf("valid form: %+v", a)
		}
		m := se.wait(since, "the result in the channel", func(m slackfake.Message) bool {
			return strings.Contains(m.All(), "worker") && (m.ResponseType == "in_channel" || (m.Kind == "post" && m.Channel == slackChannel))
		})
		if !strings.Contains(m.All(), "RUNNING") || !strings.Contains(m.All(), "<@U0ALICE>") {
			t.Errorf("result: %s", m.All())
		}
		se.waitRunning("worker")
	})
}

type auditEntry struct {
	Actor      string `json:"actor"`
	Operation  string `json:"operation"`
	Status     string `json:"status"`
	ApprovalID string `json:"approval_id"`
	Approver   string `json:"approver"`
}

func auditEntries(t *testing.T, se *slackEnv) []auditEntry {
	t.Helper()
	r := se.want("vic", "ops audit 500", "ok", 0)
	var data struct {
		Entries []auditEntry `json:"entries"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data.Entries
}

// TestApprovalsOutsideSlackReachSlack: exec and console share serve's data
// directory, so an approval may be asked for in Slack and decided on the
// host, or the other way round; Slack's messages follow either way.
func TestApprovalsOutsideSlackReachSlack(t *testing.T) {
	se := newSlackEnv(t, "http", slackPrograms()...)
	se.waitRunning("web")

	since := se.fake.Seq()
	se.command("http", sOlga, "supervisor restart web")
	msg := se.wait(since, "the approval request", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackChannel })
	copyMsg := se.wait(since, "its copy in the notify channel", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackNotify })
	id := strings.TrimPrefix(msg.Buttons()[0].Value, "ops approve ")
	since = se.fake.Seq()
	se.want("alice", "ops approve "+id, "ok", 0)
	for _, m := range []slackfake.Message{msg, copyMsg} {
		up := se.wait(since, "the request decided on the host", func(u slackfake.Message) bool {
			return u.Kind == "update" && u.TS == m.TS && u.Channel == m.Channel
		})
		if len(up.Buttons()) != 0 || !strings.Contains(up.All(), "Decided by") {
			t.Errorf("%s: %s", m.Channel, up.All())
		}
	}

	since = se.fake.Seq()
	req := se.want("alice", "supervisor restart web", "pending_approval", 4)
	posted := se.wait(since, "a request made on the host, in the notify channel", func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), req.ApprovalID)
	})
	if len(posted.Buttons()) != 2 {
		t.Fatalf("the request has no buttons: %s", posted.All())
	}
	before := se.waitRunning("web")["web RUNNING"]
	since = se.fake.Seq()
	se.interact("http", click(sBob, posted, "pv:approve", "20.1", se.fake.ResponseURL()))
	se.wait(since, "the request approved in Slack", func(u slackfake.Message) bool { return u.Kind == "update" && u.TS == posted.TS })
	if after := se.waitRunning("web")["web RUNNING"]; after == before {
		t.Error("approving in Slack what was asked on the host did not restart web")
	}
}
