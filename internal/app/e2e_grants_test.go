package app_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// Every `poolvisor exec` below is a new process that builds a new App over
// the same data_dir: that grants hold from one to the next is what they
// surviving a restart of serve amounts to.

// newGrantsEnv is newEnv with roles of its own: vic a viewer without
// ops.cancel and ops.audit, lena a lead who may grant, omar on call who may
// break the glass, and victor the person of vic's identity.
func newGrantsEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	raw, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), "  bindings:\n", `  bindings:
    - {role: lead, local_users: [lena]}
    - {role: oncall, local_users: [omar]}
`, 1) + `  roles:
    viewer: [supervisor.program.list, ops.whoami, ops.help, ops.grants]
    operator: [viewer, ops.cancel, supervisor.program.start]
    lead: [operator, ops.grant]
    oncall: [operator, ops.breakglass]
    admin: ["*"]
  people:
    victor: {local: [vic]}
  max_grant: 1h
`
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// An approval weighs what a stop would change; requested while web is
	// STARTING and approved once it is RUNNING, it is a conflict.
	e.waitRunning("web")
	return e
}

type grantRow struct {
	ID       string    `json:"id"`
	Who      string    `json:"who"`
	Role     string    `json:"role"`
	Until    time.Time `json:"until"`
	Kind     string    `json:"kind"`
	Reviewed bool      `json:"reviewed"`
	Active   bool      `json:"active"`
}

func (e *env) grants() []grantRow {
	e.t.Helper()
	var d struct{ Grants []grantRow }
	r := e.want("vic", "ops grants", "ok", 0)
	if err := json.Unmarshal(r.Data, &d); err != nil {
		e.t.Fatalf("ops grants data %s: %v", r.Data, err)
	}
	return d.Grants
}

func idOf(t *testing.T, r result) string {
	t.Helper()
	var d struct{ ID string }
	if err := json.Unmarshal(r.Data, &d); err != nil || d.ID == "" {
		t.Fatalf("no id in %s (%v)", r.Data, err)
	}
	return d.ID
}

// operatorOnly is a request vic's viewer role does not allow and operator
// does; what it answers past RBAC (no such run) does not matter here.
const operatorOnly = "ops cancel nosuchrun"

func TestGrantsE2E(t *testing.T) {
	e := newGrantsEnv(t)
	e.want("vic", operatorOnly, "denied", 3)

	t.Run("refusals change nothing", func(t *testing.T) {
		for _, c := range []struct{ who, text, status string }{
			{"alice", "ops grant victor nosuchrole 5m", "invalid"},
			{"alice", "ops grant nobody operator 5m", "invalid"},
			{"alice", "ops grant irc:vic operator 5m", "invalid"},
			{"alice", "ops grant victor operator 2h", "invalid"}, // above rbac.max_grant
			{"alice", "ops grant victor operator 0s", "invalid"},
			{"alice", "ops grant victor operator soon", "invalid"},
			{"lena", "ops grant victor admin 5m", "denied"}, // more than lena holds
			{"olga", "ops grant victor operator 5m", "denied"},
			{"vic", "ops grant victor operator 5m", "denied"},
			{"alice", "ops revoke gnosuch", "invalid"},
			{"bob", "ops review gnosuch", "invalid"},
		} {
			if r := e.exec(c.who, c.text); r.Status != c.status {
				t.Errorf("%s: %q = %s, want %s: %s", c.who, c.text, r.Status, c.status, r.Message)
			}
		}
		if g := e.grants(); len(g) != 0 {
			t.Errorf("refused requests left grants: %+v", g)
		}
		if pending := e.want("alice", "ops approvals", "ok", 0); !strings.Contains(pending.Message, "No pending") {
			t.Errorf("refused requests left approval requests: %s", pending.Message)
		}
		e.want("vic", operatorOnly, "denied", 3)
	})

	t.Run("a grant ends at its deadline", func(t *testing.T) {
		// lena may grant operator: it is within what she holds.
		r := e.approved("lena", "bob", "ops grant victor operator 4s covering the release")
		id := idOf(t, r)
		if !strings.Contains(r.Message, "victor now holds the role operator") {
			t.Errorf("the answer does not tell the holder: %s", r.Message)
		}
		var until time.Time
		for _, g := range e.grants() {
			if g.ID == id && g.Who == "victor" && g.Role == "operator" && g.Kind == "grant" && g.Active {
				until = g.Until
			}
		}
		if until.IsZero() {
			t.Fatalf("grant %s not listed as active: %+v", id, e.grants())
		}
		// Allowed while it holds, denied from its deadline on: every request
		// that ended before the deadline must have been allowed.
		deadline := time.Now().Add(settle)
		allowedOnce := false
		for {
			r := e.exec("vic", operatorOnly)
			ended := time.Now()
			if r.Status == "denied" {
				if ended.Before(until) {
					t.Fatalf("denied before the grant's deadline %s: %s", until, r.Message)
				}
				break
			}
			allowedOnce = true
			if ended.After(deadline) {
				t.Fatalf("still allowed %s after the deadline %s", ended.Sub(until), until)
			}
		}
		if !allowedOnce { // the 30m grant below shows a grant allows
			t.Log("the machine was too slow to use the 4s grant before its deadline")
		}
		if r := e.exec("alice", "ops revoke "+id); r.Status != "conflict" {
			t.Errorf("revoking an ended grant: %s, want conflict: %s", r.Status, r.Message)
		}
		if g := e.grants(); len(g) != 0 {
			t.Errorf("an ended grant is still listed: %+v", g)
		}
	})

	t.Run("revoke takes effect on the next request", func(t *testing.T) {
		id := idOf(t, e.approved("alice", "bob", "ops grant local:vic operator 30m"))
		if r := e.exec("vic", operatorOnly); r.Status == "denied" {
			t.Fatalf("granted, yet denied: %s", r.Message)
		}
		e.approved("alice", "bob", "ops revoke "+id)
		e.want("vic", operatorOnly, "denied", 3)
	})
}

func TestBreakGlassE2E(t *testing.T) {
	e := newGrantsEnv(t)
	for _, c := range []struct{ who, text, status string }{
		{"vic", "ops breakglass admin 10m the database is down", "denied"},
		{"olga", "ops breakglass admin 10m the database is down", "denied"},
		{"omar", "ops breakglass admin 2h the database is down", "invalid"},
		{"omar", "ops breakglass nosuchrole 10m the database is down", "invalid"},
		{"omar", "ops breakglass admin 10m", "invalid"}, // no reason
	} {
		if r := e.exec(c.who, c.text); r.Status != c.status {
			t.Errorf("%s: %q = %s, want %s: %s", c.who, c.text, r.Status, c.status, r.Message)
		}
	}
	if g := e.grants(); len(g) != 0 {
		t.Fatalf("refused requests left grants: %+v", g)
	}
	e.want("omar", "ops audit 3", "denied", 3)

	// No approval: it holds at once.
	r := e.want("omar", "ops breakglass admin 10m the database is down", "ok", 0)
	id := idOf(t, r)
	e.want("omar", "ops audit 3", "ok", 0)       // only admin reads the audit here
	e.want("omar", "supervisor status", "ok", 0) // omar's own role allows it
	// Held for approval: both the request and its apply are tagged.
	e.approved("omar", "bob", "supervisor stop web")

	var audit struct {
		Entries []struct {
			Actor     string `json:"actor"`
			Operation string `json:"operation"`
			Args      []struct{ Key, Value string }
		}
	}
	if err := json.Unmarshal(e.want("alice", "ops audit 10", "ok", 0).Data, &audit); err != nil {
		t.Fatal(err)
	}
	tagged := map[string]int{}
	for _, en := range audit.Entries {
		for _, a := range en.Args {
			if a.Key == "breakglass" && a.Value == id {
				tagged[en.Actor+" "+en.Operation]++
			}
		}
	}
	if tagged["local:omar ops.audit"] != 1 || tagged["local:omar supervisor.program.stop"] != 2 {
		t.Errorf("omar's requests under break-glass %s are not tagged: %v in %+v", id, tagged, audit.Entries)
	}
	if tagged["local:omar supervisor.program.list"] != 0 || len(tagged) != 2 {
		t.Errorf("requests that did not rest on the session are tagged: %v", tagged)
	}

	list := e.grants()
	if len(list) != 1 || list[0].ID != id || list[0].Kind != "breakglass" || list[0].Reviewed || list[0].Who != "local:omar" {
		t.Fatalf("ops grants: %+v", list)
	}
	// omar holds ops.review through the session itself: still not his to review.
	e.want("omar", "ops review "+id, "denied", 3)
	e.want("vic", "ops review "+id, "denied", 3)
	e.want("alice", "ops review "+id, "ok", 0)
	e.want("bob", "ops review "+id, "conflict", 5)
	if list := e.grants(); len(list) != 1 || !list[0].Reviewed {
		t.Errorf("after review: %+v", list)
	}
}

// TestGrantsSlackE2E: a grant given in Slack to a mention holds for that
// Slack user, and a break-glass session is announced in the notify channel
// and, being shorter than the reminder's lead, reminded of at once, to its
// holder alone.
func TestGrantsSlackE2E(t *testing.T) {
	se := newSlackEnvWith(t, "http", "", sandbox.Program{Name: "web", Command: loop("serving")})
	if a := se.command("http", sVic, "ops whoami"); strings.Contains(a.all(), "operator") {
		t.Fatalf("vic is an operator before the grant: %s", a.all())
	}
	since := se.fake.Seq()
	se.command("http", sAlice, "ops grant <@U0VIC|vic> operator 30m standing in")
	msg := se.wait(since, "the approval request", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackChannel })
	since = se.fake.Seq()
	se.interact("http", click(sBob, msg, "pv:approve", "30.1", se.fake.ResponseURL()))
	se.wait(since, "the answer naming the holder", func(m slackfake.Message) bool {
		return strings.Contains(m.All(), "slack:U0VIC now holds the role operator")
	})
	if a := se.command("http", sVic, "ops whoami"); !strings.Contains(a.all(), "operator") {
		t.Errorf("vic's roles after the grant: %s", a.all())
	}

	since = se.fake.Seq()
	se.command("http", sAlice, "ops breakglass admin 4m checking the announcement")
	se.wait(since, "the announcement", func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), "Break-glass")
	})
	se.wait(since, "the reminder, in a direct message", dmTo("U0ALICE", "Your breakglass"))
}
