package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// newMattermostWSEnv is a real supervisord, a fake Mattermost and
// `poolvisor serve` in websocket mode between them: no public URL, no
// slash command tokens, nothing Mattermost calls; serve listens only for
// /healthz.
func newMattermostWSEnv(t *testing.T, progs ...sandbox.Program) *mmEnv {
	t.Helper()
	fake := mmfake.New(mmBot)
	t.Cleanup(fake.Close)
	sv := sandbox.Supervisor(t, progs...)
	addr := freeAddr(t)
	path := e2eConfig{listen: addr, log: "debug", sv: sv,
		sections: fmt.Sprintf(`mattermost:
  enabled: true
  mode: websocket
  url: %s
  bot_token: %s
  notify_channel_id: %s
`, fake.URL(), mmBot, mmNotify),
		bindings: []string{
			fmt.Sprintf("{role: admin, mattermost_users: [%s, %s], local_users: [alice]}", mAlice.ID, mBob.ID),
			fmt.Sprintf("{role: viewer, mattermost_users: [%s], local_users: [vic]}", mVic.ID),
		},
	}.write(t)
	me := &mmEnv{env: &env{t: t, config: path, sv: sv}, fake: fake, base: "http://" + addr}
	me.logs = startServe(t, path, me.base)
	if err := fake.WaitConnected(settle, 1); err != nil {
		t.Fatalf("%v\n%s", err, me.logs.String())
	}
	return me
}

// dm is who's direct message to the bot; it returns the post's ID.
func (me *mmEnv) dm(who mmfake.User, text string) (string, string) {
	me.t.Helper()
	p := me.fake.DM(who, text)
	id, err := me.fake.Publish(p)
	if err != nil {
		me.t.Fatalf("%v\n%s", err, me.logs.String())
	}
	return id, p.ChannelID
}

func TestMattermostWebsocketEndToEnd(t *testing.T) {
	me := newMattermostWSEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	pid := me.waitRunning("web")["web RUNNING"]

	t.Run("a direct message gets a threaded answer", func(t *testing.T) {
		since := me.fake.Seq()
		id, ch := me.dm(mVic, "supervisor status")
		reply := me.wait(since, "the answer in the thread", func(p mmfake.Post) bool { return p.RootID == id })
		if reply.ChannelID != ch || reply.For != "" || !strings.Contains(reply.Message, "| 🟢 | web | RUNNING |") {
			t.Errorf("answer: %+v", reply)
		}
	})

	t.Run("a mention in a channel is the asker's alone when it is a read", func(t *testing.T) {
		since := me.fake.Seq()
		id, err := me.fake.Publish(mmfake.UserPost{User: mAlice, ChannelID: mmChannel, ChannelType: "O",
			Message: "@" + mmfake.Bot.Name + " ops whoami", Mentions: []string{mmfake.Bot.ID}})
		if err != nil {
			t.Fatal(err)
		}
		reply := me.wait(since, "the answer in the thread", func(p mmfake.Post) bool { return p.RootID == id })
		if reply.For != mAlice.ID || !strings.Contains(reply.Message, mAlice.ID) {
			t.Errorf("answer: %+v", reply)
		}
	})

	t.Run("an unbound user is denied and nothing changes", func(t *testing.T) {
		stranger := mmfake.User{ID: "stranger000000000000000sss", Name: "mallory"}
		since := me.fake.Seq()
		id, _ := me.dm(stranger, "supervisor stop web")
		reply := me.wait(since, "the refusal in the thread", func(p mmfake.Post) bool { return p.RootID == id })
		if !strings.Contains(reply.Message, "mattermost:"+stranger.ID+" may not run supervisor.program.stop") {
			t.Errorf("refusal: %q", reply.Message)
		}
		if got := me.waitRunning("web")["web RUNNING"]; got != pid {
			t.Errorf("web changed after a denied request: pid %d, was %d", got, pid)
		}
		res := me.want("alice", "ops audit 5 --format json", "ok", 0)
		if !strings.Contains(res.Message, stranger.ID) || !strings.Contains(res.Message, `"denied"`) {
			t.Errorf("the audit lacks the denial:\n%s", res.Message)
		}
	})

	t.Run("a restart waits for a second person, who approves it by message", func(t *testing.T) {
		since := me.fake.Seq()
		me.dm(mAlice, "supervisor restart web")
		req := me.wait(since, "the approval request in the notify channel", func(p mmfake.Post) bool {
			return p.ChannelID == mmNotify && strings.Contains(p.Message, "restart web")
		})
		if len(req.Buttons()) != 0 {
			t.Errorf("buttons without a public URL to call back: %v", req.Buttons())
		}
		var pending struct {
			Approvals []struct {
				ID string `json:"id"`
			} `json:"approvals"`
		}
		r := me.want("alice", "ops approvals", "ok", 0)
		if err := json.Unmarshal(r.Data, &pending); err != nil || len(pending.Approvals) != 1 {
			t.Fatalf("pending approvals: %s (%v)", r.Data, err)
		}
		id := pending.Approvals[0].ID

		since = me.fake.Seq()
		self, _ := me.dm(mAlice, "ops approve "+id)
		refusal := me.wait(since, "the self-approval's refusal", func(p mmfake.Post) bool { return p.RootID == self })
		if !strings.Contains(refusal.Message, "cannot approve your own request") {
			t.Errorf("self-approval: %q", refusal.Message)
		}
		if got := me.waitRunning("web")["web RUNNING"]; got != pid {
			t.Fatalf("a refused approval restarted web")
		}

		since = me.fake.Seq()
		ok, _ := me.dm(mBob, "ops approve "+id)
		me.wait(since, "the decision in bob's thread", func(p mmfake.Post) bool { return p.RootID == ok })
		me.wait(since, "the request decided", func(p mmfake.Post) bool {
			return p.ID == req.ID && strings.Contains(p.Message, "Decided by bob")
		})
		after := me.waitRunning("web")["web RUNNING"]
		if after == pid {
			t.Errorf("web was not restarted: pid %d before and after", pid)
		}
		pid = after
	})

	t.Run("the bot's own posts are not commands", func(t *testing.T) {
		before := me.fake.Seq()
		if _, err := me.fake.Publish(mmfake.UserPost{User: mmfake.Bot, ChannelID: me.fake.DMChannel(mAlice), ChannelType: "D", Message: "supervisor stop web"}); err != nil {
			t.Fatal(err)
		}
		// Posts are taken in order: once this one is answered, the bot's
		// was passed over.
		since := me.fake.Seq()
		id, _ := me.dm(mAlice, "supervisor status web")
		me.wait(since, "the answer", func(p mmfake.Post) bool { return p.RootID == id })
		if got := me.waitRunning("web")["web RUNNING"]; got != pid {
			t.Errorf("the bot's own post stopped web")
		}
		if n := me.fake.Seq() - before; n != 1 {
			t.Errorf("%d posts since the bot's own; want only the answer", n)
		}
	})

	t.Run("a dropped connection comes back", func(t *testing.T) {
		me.fake.DropWebsockets()
		if err := me.fake.WaitConnected(settle, 2); err != nil {
			t.Fatal(err)
		}
		since := me.fake.Seq()
		id, _ := me.dm(mVic, "supervisor status")
		me.wait(since, "the answer after reconnecting", func(p mmfake.Post) bool { return p.RootID == id })
		deadline := time.Now().Add(settle)
		for {
			code, body := get(t, me.base+"/healthz")
			if code == http.StatusOK && strings.Contains(body, "mattermost") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz: %d %s", code, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if r := me.fake.Refused(); len(r) > 0 {
		t.Errorf("Mattermost refused calls: %v", r)
	}
}
