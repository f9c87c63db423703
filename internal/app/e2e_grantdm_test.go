package app_test

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// newSlackGrantEnv is a fake Slack and a real supervisord with the config
// of newSlackEnv, a short grant reminder, and no serve: each test starts
// and stops serve itself (startSlackServe), to restart it.
func newSlackGrantEnv(t *testing.T, progs ...sandbox.Program) *slackEnv {
	t.Helper()
	fake := newSlackFake(t)
	sv := sandbox.Supervisor(t, append([]sandbox.Program{{Name: "web", Command: loop("serving")}}, progs...)...)
	path := e2eConfig{
		listen: freeAddr(t), // serve is given one of its own each start
		log:    "debug", sv: sv, sections: slackSection("http", fake),
		bindings: []string{
			"{role: admin, slack_users: [U0ALICE, U0BOB], local_users: [alice, bob]}",
			"{role: viewer, slack_users: [U0VIC], local_users: [vic]}",
		},
		rbac: "  max_grant: 1h\n  grant_reminder: 25s\n",
	}.write(t)
	return &slackEnv{env: &env{t: t, config: path, sv: sv}, fake: fake}
}

// startSlackServe starts serve for se until owner ends, on a new address.
func (se *slackEnv) startSlackServe(owner *testing.T) {
	owner.Helper()
	addr := freeAddr(owner)
	se.base = "http://" + addr
	se.logs = startServeUntil(owner, owner, se.config, se.base, "POOLVISOR_LISTEN="+addr)
}

// dmTo matches a direct message to a Slack user that says what.
func dmTo(user, what string) func(slackfake.Message) bool {
	return func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == "D"+user && strings.Contains(m.All(), what)
	}
}

func buttonValue(m slackfake.Message, actionID string) string {
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			return b.Value
		}
	}
	return ""
}

// TestGrantDMSlackE2E: a grant's holder is told privately when it starts
// and rbac.grant_reminder before it ends, each with a button that asks
// for more time; the click files an extension an approver approves, whose
// holder is told in turn. A grant given while serve was down is told of
// when serve starts, and its reminder comes once, from the stored
// deadline, across a restart.
func TestGrantDMSlackE2E(t *testing.T) {
	se := newSlackGrantEnv(t)

	t.Run("told, reminded and extended", func(t *testing.T) {
		se.startSlackServe(t)
		since := se.fake.Seq()
		se.command("http", sAlice, "ops grant <@U0VIC|vic> operator 45s standing in")
		req := se.wait(since, "the approval request", func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == slackChannel })
		se.interact("http", click(sBob, req, "pv:approve", "40.1", se.fake.ResponseURL()))
		start := se.wait(since, "the holder's direct message", dmTo("U0VIC", "You hold the role operator"))
		action := buttonValue(start, "pv:direct")
		id, ok := strings.CutPrefix(action, "ops extend ")
		if !ok || id == "" {
			t.Fatalf("the direct message's button runs %q: %s", action, start.All())
		}
		reminder := se.wait(start.Seq, "the reminder", dmTo("U0VIC", "Your grant "+id+" of the role operator ends at"))
		if buttonValue(reminder, "pv:direct") != action {
			t.Errorf("the reminder's button: %s", reminder.All())
		}
		for _, m := range se.fake.Messages() {
			if m.Seq > since && m.Channel == slackNotify && strings.Contains(m.All(), "your grant") {
				t.Errorf("the reminder went to the notify channel: %s", m.All())
			}
		}

		// The holder clicks: a request for an approver, in the notify channel.
		since = se.fake.Seq()
		se.interact("http", click(sVic, reminder, "pv:direct", "41.1", se.fake.ResponseURL()))
		ext := se.wait(since, "the extension request", func(m slackfake.Message) bool {
			return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), "Extend grant "+id)
		})
		se.interact("http", click(sBob, ext, "pv:approve", "42.1", se.fake.ResponseURL()))
		told := se.wait(since, "the extension's direct message", func(m slackfake.Message) bool {
			return dmTo("U0VIC", "You hold the role operator")(m) && !strings.Contains(m.All(), "grant "+id+",")
		})
		if !strings.Contains(told.All(), "extension of "+id) || !strings.Contains(told.All(), "approved by slack:U0BOB") {
			t.Errorf("the extension's message: %s", told.All())
		}
	})

	var id string
	t.Run("given while serve was down", func(t *testing.T) {
		id = idOf(t, se.approved("alice", "bob", "ops grant slack:U0VIC operator 60s over the weekend"))
	})
	t.Run("told when serve starts", func(t *testing.T) {
		since := se.fake.Seq()
		se.startSlackServe(t)
		se.wait(since, "the start of a grant given while serve was down", dmTo("U0VIC", "grant "+id+", by local:alice, approved by local:bob"))
	})
	t.Run("reminded once after a restart", func(t *testing.T) {
		se.startSlackServe(t)
		se.wait(0, "the reminder", dmTo("U0VIC", "Your grant "+id+" of the role operator ends at"))
		starts, reminders := 0, 0
		for _, m := range se.fake.Messages() {
			switch {
			case dmTo("U0VIC", "grant "+id+", by")(m):
				starts++
			case dmTo("U0VIC", "Your grant "+id)(m):
				reminders++
			}
		}
		if starts != 1 || reminders != 1 {
			t.Errorf("across a restart the holder was told of %s's start %d times and reminded %d times, want once each", id, starts, reminders)
		}
	})
}
