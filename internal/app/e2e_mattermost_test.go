package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

const (
	mmBot     = "mm-e2e-bot-token"
	mmSecret  = "e2e-action-secret-0123456789abcdef"
	mmTokSup  = "e2e-token-supervisor"
	mmTokOps  = "e2e-token-ops"
	mmChannel = "opschannel0000000000000000"
	mmNotify  = "alertschannel0000000000000"
	mmOpsTeam = "opsgroup000000000000000000"
)

// The Mattermost people of the end-to-end tests: alice and bob are admins
// by user ID, olga an operator through a Mattermost group, vic a viewer.
var (
	mAlice = mmfake.User{ID: "alice0000000000000000000aa", Name: "alice"}
	mBob   = mmfake.User{ID: "bob00000000000000000000bbb", Name: "bob"}
	mOlga  = mmfake.User{ID: "olga0000000000000000000ooo", Name: "olga"}
	mVic   = mmfake.User{ID: "vic00000000000000000000vvv", Name: "vic"}
)

// mmEnv is a real supervisord, a fake Mattermost and `poolvisor serve`
// between them.
type mmEnv struct {
	*env
	fake *mmfake.Server
	base string
	logs *logBuffer
}

func newMattermostEnv(t *testing.T, progs ...sandbox.Program) *mmEnv {
	t.Helper()
	fake := mmfake.New(mmBot)
	t.Cleanup(fake.Close)
	fake.SetGroups(mOlga.ID, mmOpsTeam)
	sv := sandbox.Supervisor(t, progs...)
	addr := freeAddr(t)
	path := e2eConfig{listen: addr, log: "debug", sv: sv,
		sections: fmt.Sprintf(`mattermost:
  enabled: true
  url: %s
  public_url: http://%s
  bot_token: %s
  command_tokens: {supervisor: %s, ops: %s}
  action_secret: %s
  notify_channel_id: %s
`, fake.URL(), addr, mmBot, mmTokSup, mmTokOps, mmSecret, mmNotify),
		bindings: []string{
			fmt.Sprintf("{role: admin, mattermost_users: [%s, %s], local_users: [alice]}", mAlice.ID, mBob.ID),
			fmt.Sprintf("{role: operator, mattermost_groups: [%s]}", mmOpsTeam),
			fmt.Sprintf("{role: viewer, mattermost_users: [%s], local_users: [vic]}", mVic.ID),
		},
	}.write(t)
	me := &mmEnv{env: &env{t: t, config: path, sv: sv}, fake: fake, base: "http://" + addr}
	me.logs = startServe(t, path, me.base)
	return me
}

// slash is who typing /WORD REST in the ops channel.
func (me *mmEnv) slash(who mmfake.User, text string) mmfake.Answer {
	me.t.Helper()
	word, rest, _ := strings.Cut(text, " ")
	token := map[string]string{"supervisor": mmTokSup, "ops": mmTokOps}[word]
	ans, err := me.fake.SendCommand(me.base+"/mattermost/commands", mmfake.Command{Token: token, Command: "/" + word, Text: rest, User: who, ChannelID: mmChannel})
	if err != nil {
		me.t.Fatalf("%v\n%s", err, me.logs.String())
	}
	if ans.Status != http.StatusOK {
		me.t.Fatalf("/%s: HTTP %d %s", text, ans.Status, ans.Raw)
	}
	return ans
}

func (me *mmEnv) wait(since int, what string, match func(mmfake.Post) bool) mmfake.Post {
	me.t.Helper()
	p, err := me.fake.Wait(settle, since, match)
	if err != nil {
		me.t.Fatalf("%s: %v\n%s", what, err, me.logs.String())
	}
	return p
}

// dialog has who type text, a command that opens a dialog, and returns
// the dialog Mattermost was asked to open, with each element's starting
// value by name.
func (me *mmEnv) dialog(who mmfake.User, text string) (mmfake.Dialog, map[string]any) {
	me.t.Helper()
	since := me.fake.Seq()
	if ans := me.slash(who, text); ans.Response.Text != "" {
		me.t.Fatalf("%q answered %+v instead of opening a dialog", text, ans.Response)
	}
	d, err := me.fake.WaitDialog(settle, since)
	if err != nil {
		me.t.Fatalf("%v\n%s", err, me.logs.String())
	}
	values := map[string]any{}
	for _, e := range d.Body.Elements {
		values[e.Name] = e.Default
	}
	return d, values
}

func (me *mmEnv) click(p mmfake.Post, button string, who mmfake.User) mmfake.Click {
	me.t.Helper()
	c, err := me.fake.Click(p, button, who)
	if err != nil {
		me.t.Fatal(err)
	}
	if c.Status != http.StatusOK {
		me.t.Fatalf("click %s: HTTP %d %s", button, c.Status, c.Raw)
	}
	return c
}

func TestMattermostEndToEnd(t *testing.T) {
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving")},
		sandbox.Program{Name: "queue", Command: loop("working"), NumProcs: 2}, crasher())
	before := me.waitRunning("web")

	t.Run("status is a table for the asker alone", func(t *testing.T) {
		ans := me.slash(mVic, "supervisor status")
		r := ans.Response
		if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "| 🟢 | web | RUNNING |") {
			t.Errorf("status: %+v", r)
		}
	})

	t.Run("a wrong token is refused and runs nothing", func(t *testing.T) {
		ans, err := me.fake.SendCommand(me.base+"/mattermost/commands", mmfake.Command{Token: "not-the-token", Command: "/supervisor", Text: "stop web", User: mAlice, ChannelID: mmChannel})
		if err != nil || ans.Status != http.StatusUnauthorized {
			t.Errorf("HTTP %d %v: %s", ans.Status, err, ans.Raw)
		}
	})

	t.Run("a self-approval is refused, a second approver's is applied", func(t *testing.T) {
		since := me.fake.Seq()
		ans := me.slash(mAlice, "supervisor restart web")
		if !strings.Contains(ans.Response.Text, "Approval request") {
			t.Fatalf("restart: %+v", ans.Response)
		}
		req := me.wait(since, "the approval request in the channel", func(p mmfake.Post) bool {
			return p.ChannelID == mmChannel && p.Via == "api" && strings.Contains(p.Message, "restart web")
		})
		copyPost := me.wait(since, "its copy in the notify channel", func(p mmfake.Post) bool {
			return p.ChannelID == mmNotify && p.Via == "api" && strings.Contains(p.Message, "restart web")
		})
		if !slices.Equal(req.Buttons(), []string{"Approve", "Deny"}) {
			t.Fatalf("buttons: %v", req.Buttons())
		}

		c := me.click(req, "Approve", mAlice)
		if c.Response.Update != nil || !strings.Contains(c.Response.EphemeralText, "cannot approve your own request") {
			t.Errorf("self-approval: %+v", c.Response)
		}
		if got := me.waitRunning("web"); got["web RUNNING"] != before["web RUNNING"] {
			t.Fatalf("a refused approval restarted web")
		}

		since = me.fake.Seq()
		c = me.click(req, "Approve", mBob)
		if c.Response.Update == nil || !strings.Contains(c.Response.Update.Message, "Decided by bob") {
			t.Fatalf("approval: %+v", c.Response)
		}
		if got, _ := me.fake.Post(req.ID); len(got.Buttons()) != 0 {
			t.Errorf("the decided request keeps its buttons: %v", got.Buttons())
		}
		me.wait(since, "the copy decided", func(p mmfake.Post) bool {
			return p.ID == copyPost.ID && len(p.Buttons()) == 0 && strings.Contains(p.Message, "Decided by bob")
		})
		if after := me.waitRunning("web"); after["web RUNNING"] == before["web RUNNING"] {
			t.Errorf("web was not restarted: pid %d before and after", before["web RUNNING"])
		}
	})

	t.Run("an approved rolling restart shows its steps in one post, then its result", func(t *testing.T) {
		me.waitRunning("queue:queue_00", "queue:queue_01")
		since := me.fake.Seq()
		me.slash(mAlice, "supervisor restart queue:* --rolling --batch 1 --settle 1s")
		req := me.wait(since, "the approval request", func(p mmfake.Post) bool {
			return p.ChannelID == mmChannel && p.Via == "api" && slices.Contains(p.Buttons(), "Approve")
		})
		since = me.fake.Seq()
		me.click(req, "Approve", mBob)
		progress := me.wait(since, "the progress post", func(p mmfake.Post) bool {
			return p.ID != req.ID && p.ChannelID == mmChannel && strings.Contains(p.Message, `Rolling restart of queue:\*`) &&
				slices.Equal(p.Buttons(), []string{"Cancel"})
		})
		done := me.wait(since, "the result in the progress post", func(p mmfake.Post) bool {
			return p.ID == progress.ID && len(p.Buttons()) == 0 && strings.Contains(p.Message, "Asked by bob")
		})
		if !strings.Contains(done.Message, "queue:queue\\_01") {
			t.Errorf("the result lacks the processes:\n%s", done.Message)
		}
		me.wait(since, "the request decided", func(p mmfake.Post) bool {
			return p.ID == req.ID && len(p.Buttons()) == 0 && strings.Contains(p.Message, "Decided by bob")
		})
	})

	t.Run("a forged button is refused and runs nothing", func(t *testing.T) {
		pid := me.waitRunning("web")["web RUNNING"]
		post := mmfake.Post{ID: mmfake.NewID(), ChannelID: mmChannel}
		c, err := me.fake.CallAction(me.base+"/mattermost/actions", post,
			map[string]any{"command": "supervisor stop web", "sig": strings.Repeat("00", 32)}, mAlice)
		if err != nil || c.Status != http.StatusUnauthorized {
			t.Errorf("forged click: HTTP %d %v %s", c.Status, err, c.Raw)
		}
		if got := me.waitRunning("web")["web RUNNING"]; got != pid {
			t.Errorf("web changed after a forged click: pid %d, was %d", got, pid)
		}
	})

	t.Run("an alert has a Restart button that asks for approval", func(t *testing.T) {
		me.want("alice", "supervisor events enable", "ok", 0)
		since := me.fake.Seq()
		me.exec("alice", "supervisor start crasher") // fails: that is the point
		alert := me.wait(since, "the crash alert", func(p mmfake.Post) bool {
			return p.ChannelID == mmNotify && strings.Contains(p.Message, "crasher") && slices.Contains(p.Buttons(), "Restart")
		})
		if !strings.Contains(alert.Message, "database connection refused") {
			t.Errorf("the alert lacks the log tail:\n%s", alert.Message)
		}
		since = me.fake.Seq()
		c := me.click(alert, "Restart", mOlga) // an operator, through her group
		if !strings.Contains(c.Response.EphemeralText, "Approval request") {
			t.Errorf("click: %+v", c.Response)
		}
		me.wait(since, "the approval request the click made", func(p mmfake.Post) bool {
			return p.Via == "api" && strings.Contains(p.Message, "restart crasher") && slices.Equal(p.Buttons(), []string{"Approve", "Deny"})
		})
	})

	t.Run("health names mattermost", func(t *testing.T) {
		code, body := get(t, me.base+"/healthz")
		if code != http.StatusOK || !strings.Contains(body, "mattermost") {
			t.Errorf("/healthz: %d %s", code, body)
		}
	})
	if r := me.fake.Refused(); len(r) > 0 {
		t.Errorf("Mattermost refused calls: %v", r)
	}
}
