package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

const (
	dApp     = "110000000000000001"
	dBot     = "discord-e2e-bot"
	dGuild   = "120000000000000001"
	dChannel = "130000000000000001"
	dNotify  = "130000000000000002"
	dOpsRole = "140000000000000001"
	dWait    = settle
)

// The Discord people of the end-to-end tests: alice an admin by user ID,
// olga an operator by role, vic a viewer.
var (
	dAlice = discordfake.Member{ID: "150000000000000001", Name: "alice"}
	dOlga  = discordfake.Member{ID: "150000000000000003", Name: "olga", Roles: []string{dOpsRole}}
	dVic   = discordfake.Member{ID: "150000000000000004", Name: "vic"}
)

// discordEnv is a real supervisord, a fake Discord and `poolvisor serve`
// between them, over HTTP interactions or the Gateway (mode).
type discordEnv struct {
	*env
	mode string
	fake *discordfake.Server
	key  discordfake.Key
	base string
	logs *logBuffer
}

func newDiscordEnv(t *testing.T, mode string, progs ...sandbox.Program) *discordEnv {
	t.Helper()
	fake := newDiscordFake(t)
	key := discordfake.NewKey()
	publicKey := "" // gateway mode needs none
	if mode == "http" {
		publicKey = key.PublicHex()
	}
	sv := sandbox.Supervisor(t, progs...)
	addr := freeAddr(t)
	path := e2eConfig{listen: addr, log: "debug", sv: sv, sections: discordSection(mode, publicKey, fake),
		bindings: []string{
			fmt.Sprintf(`{role: admin, discord_users: ["%s"], local_users: [alice]}`, dAlice.ID),
			fmt.Sprintf(`{role: operator, discord_roles: ["%s"]}`, dOpsRole),
			fmt.Sprintf(`{role: viewer, discord_users: ["%s"], local_users: [vic]}`, dVic.ID),
		},
	}.write(t)
	de := &discordEnv{env: &env{t: t, config: path, sv: sv}, mode: mode, fake: fake, key: key, base: "http://" + addr}
	de.logs = startServe(t, path, de.base)
	if mode == "gateway" {
		if err := fake.WaitReady(dWait); err != nil {
			t.Fatalf("%v\n%s", err, de.logs.String())
		}
	}
	return de
}

// post sends an interaction signed now, unless mutate changes the request.
func (de *discordEnv) post(in map[string]any, mutate ...func(*http.Request)) (int, []byte) {
	de.t.Helper()
	req := de.key.SignedRequest(de.base+"/discord/interactions", discordfake.Body(in), time.Now())
	for _, m := range mutate {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		de.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// shown is what the member sees after an interaction: its type, and the
// message of the response or, when deferred, of the edit or follow-up.
type shown struct {
	Type int
	Msg  discordfake.Msg
}

// wireResponse is an interaction response as Discord reads it.
type wireResponse struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
}

// answer delivers an interaction as the mode does and returns its
// response: the HTTP response, or the callback it got over REST when it
// came over the Gateway.
func (de *discordEnv) answer(in map[string]any) wireResponse {
	de.t.Helper()
	var body []byte
	if de.mode == "gateway" {
		seq := de.fake.Seq()
		if err := de.fake.SendInteraction(in); err != nil {
			de.t.Fatal(err)
		}
		c, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool { return c.Interaction == in["id"] })
		if err != nil {
			de.t.Fatal(err)
		}
		if c.Err != "" {
			de.t.Fatalf("Discord refused the callback: %s", c.Err)
		}
		body = c.Body
	} else {
		var code int
		if code, body = de.post(in); code != http.StatusOK {
			de.t.Fatalf("HTTP %d: %s", code, body)
		}
	}
	var r wireResponse
	if err := json.Unmarshal(body, &r); err != nil {
		de.t.Fatalf("response %s: %v", body, err)
	}
	return r
}

func (de *discordEnv) interact(in map[string]any) shown {
	de.t.Helper()
	seq := de.fake.Seq()
	r := de.answer(in)
	s := shown{Type: r.Type}
	switch r.Type {
	case 4, 7:
		if err := discordfake.ValidateMessage(r.Data); err != nil {
			de.t.Errorf("Discord would refuse the response: %v", err)
		}
		json.Unmarshal(r.Data, &s.Msg)
	case 5, 6:
		c, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool { return c.Token == in["token"] && c.Interaction == "" })
		if err != nil {
			de.t.Fatal(err)
		}
		s.Msg = c.Msg
		if c.Method == http.MethodPost { // a follow-up keeps its own flags
			s.Type = 4
		}
	}
	return s
}

func (de *discordEnv) command(who discordfake.Member, name string, path []string, opts ...discordfake.Opt) shown {
	de.t.Helper()
	return de.interact(discordfake.Command(discordfake.TypeCommand, dApp, dGuild, dChannel, who, name, path, opts...))
}

func TestDiscordHTTPEndToEnd(t *testing.T) {
	de := newDiscordEnv(t, "http", slackPrograms()...)
	discordFlows(t, de)

	t.Run("ping", func(t *testing.T) {
		code, body := de.post(discordfake.Ping(dApp))
		if code != 200 || strings.TrimSpace(string(body)) != `{"type":1}` {
			t.Errorf("PING: HTTP %d %s", code, body)
		}
	})

	t.Run("bad signatures are refused and change nothing", func(t *testing.T) {
		before := de.waitRunning("web")
		stop := discordfake.Command(discordfake.TypeCommand, dApp, dGuild, dChannel, dAlice, "supervisor", []string{"stop"},
			discordfake.Opt{Name: "program", Value: "web"})
		body := discordfake.Body(stop)
		resign := func(k discordfake.Key, at time.Time) func(*http.Request) {
			return func(r *http.Request) {
				ts := strconv.FormatInt(at.Unix(), 10)
				r.Header.Set("X-Signature-Timestamp", ts)
				r.Header.Set("X-Signature-Ed25519", k.Sign(ts, body))
			}
		}
		for name, mutate := range map[string]func(*http.Request){
			"unsigned":    func(r *http.Request) { r.Header.Del("X-Signature-Ed25519") },
			"another key": resign(discordfake.NewKey(), time.Now()),
			"stale":       resign(de.key, time.Now().Add(-6*time.Minute)),
			"tampered": func(r *http.Request) {
				r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(time.Now().Unix()-1, 10))
			},
		} {
			if code, _ := de.post(stop, mutate); code != http.StatusUnauthorized {
				t.Errorf("%s: HTTP %d, want 401", name, code)
			}
		}
		time.Sleep(300 * time.Millisecond)
		if after := de.waitRunning("web"); after["web RUNNING"] != before["web RUNNING"] {
			t.Error("a refused request stopped web")
		}
		for _, e := range auditEntries(t, &slackEnv{env: de.env}) {
			if e.Operation == "supervisor.program.stop" && e.Status == "ok" {
				t.Errorf("a refused request reached the pipeline: %+v", e)
			}
		}
	})

	t.Run("healthz reports HTTP interactions", func(t *testing.T) {
		code, body := get(t, de.base+"/healthz")
		if code != 200 || !strings.Contains(body, `"name":"discord","ok":true,"info":"HTTP interactions"`) {
			t.Errorf("healthz %d %s", code, body)
		}
	})
}

// discordFlows are the end-to-end flows, over either transport.
func discordFlows(t *testing.T, de *discordEnv) {
	pids := de.waitRunning("web", "queue:queue_00", "queue:queue_01")

	t.Run("commands are registered at start", func(t *testing.T) {
		if _, err := de.fake.Wait(dWait, 0, func(c discordfake.Call) bool {
			return c.Method == http.MethodPut && strings.Contains(c.Path, "/guilds/"+dGuild+"/commands")
		}); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range de.fake.Commands(dGuild) {
			names = append(names, c.Name)
		}
		if strings.Join(names, " ") != "fpm supervisor ops" {
			t.Errorf("registered: %v", names)
		}
	})

	t.Run("status", func(t *testing.T) {
		s := de.command(dVic, "supervisor", []string{"status"})
		if s.Msg.Flags&64 == 0 || !strings.Contains(s.Msg.Text(), "**web** `RUNNING`") || !strings.Contains(s.Msg.Text(), "queue:queue\\_01") {
			t.Errorf("status: %+v %s", s.Type, s.Msg.Text())
		}
	})

	t.Run("a viewer's stop is denied", func(t *testing.T) {
		s := de.command(dVic, "supervisor", []string{"stop"}, discordfake.Opt{Name: "program", Value: "web"})
		if s.Msg.Flags&64 == 0 || !strings.Contains(s.Msg.Text(), "may not") {
			t.Errorf("stop by a viewer: %s", s.Msg.Text())
		}
	})

	t.Run("restart needs an admin's click", func(t *testing.T) {
		seq := de.fake.Seq()
		req := de.command(dOlga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"})
		if len(req.Msg.Buttons()) != 2 || req.Msg.Flags&64 != 0 || !strings.Contains(req.Msg.Text(), "<@"+dOlga.ID+">") {
			t.Fatalf("approval request: %s", req.Msg.Text())
		}
		if _, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool { return c.Channel == dNotify && len(c.Msg.Buttons()) == 2 }); err != nil {
			t.Error(err)
		}
		approve := req.Msg.Buttons()[0].CustomID
		for _, who := range []discordfake.Member{dOlga, dVic} {
			s := de.interact(discordfake.Click(dApp, dGuild, dChannel, who, "160000000000000001", approve))
			if s.Type != 4 || s.Msg.Flags&64 == 0 {
				t.Errorf("%s's click: type %d %s", who.Name, s.Type, s.Msg.Text())
			}
		}
		if now := de.waitRunning("web"); now["web RUNNING"] != pids["web RUNNING"] {
			t.Fatal("a refused click restarted web")
		}
		s := de.interact(discordfake.Click(dApp, dGuild, dChannel, dAlice, "160000000000000001", approve))
		if s.Type != 7 || len(s.Msg.Buttons()) != 0 || !strings.Contains(s.Msg.Text(), "Decided by alice") {
			t.Errorf("an admin's click: type %d %s", s.Type, s.Msg.Text())
		}
		after := de.waitRunning("web")
		if after["web RUNNING"] == pids["web RUNNING"] {
			t.Error("an approved restart left web's pid as it was")
		}
		later := de.interact(discordfake.Click(dApp, dGuild, dChannel, dAlice, "160000000000000001", approve))
		if later.Type != 4 || later.Msg.Flags&64 == 0 {
			t.Errorf("a later click: type %d %s", later.Type, later.Msg.Text())
		}
		if again := de.waitRunning("web"); again["web RUNNING"] != after["web RUNNING"] {
			t.Error("a later click restarted web again")
		}
	})

	t.Run("autocomplete suggests programs", func(t *testing.T) {
		r := de.answer(discordfake.Command(discordfake.TypeAutocomplete, dApp, dGuild, dChannel, dVic, "supervisor", []string{"restart"},
			discordfake.Opt{Name: "program", Value: "qu", Focused: true}))
		if body := string(r.Data); r.Type != 8 || !strings.Contains(body, `"queue:*"`) || strings.Contains(body, `"web"`) {
			t.Errorf("autocomplete: type %d %s", r.Type, body)
		}
	})

	t.Run("autocomplete suggests this host", func(t *testing.T) {
		r := de.answer(discordfake.Command(discordfake.TypeAutocomplete, dApp, dGuild, dChannel, dVic, "supervisor", []string{"status"},
			discordfake.Opt{Name: "host", Value: "", Focused: true}))
		if r.Type != 8 || !strings.Contains(string(r.Data), `"e2e"`) {
			t.Errorf("host autocomplete: type %d %s", r.Type, r.Data)
		}
	})
}

// TestApprovalsOutsideDiscordReachDiscord: a request asked for in Discord
// and decided on the host loses its buttons in Discord, and a request made
// on the host is posted, with its buttons, in the notify channel.
func TestApprovalsOutsideDiscordReachDiscord(t *testing.T) {
	de := newDiscordEnv(t, "http", sandbox.Program{Name: "web", Command: loop("serving")})
	de.waitRunning("web")
	seq := de.fake.Seq()
	req := de.command(dOlga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"})
	_, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool { return c.Channel == dNotify && len(c.Msg.Buttons()) == 2 })
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(req.Msg.Buttons()[0].CustomID, "pv:ops approve ")
	seq = de.fake.Seq()
	de.want("alice", "ops approve "+id, "ok", 0)
	if _, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && c.Channel == dNotify && len(c.Msg.Buttons()) == 0 && strings.Contains(c.Msg.Text(), "Decided by alice")
	}); err != nil {
		t.Errorf("the notify channel's copy kept its buttons: %v", err)
	}
	if _, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && strings.HasSuffix(c.Path, "/messages/@original") && strings.Contains(c.Msg.Text(), "Decided by alice")
	}); err != nil {
		t.Errorf("the response in the channel kept its buttons: %v", err)
	}

	seq = de.fake.Seq()
	r := de.want("alice", "supervisor restart web", "pending_approval", 4)
	if _, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool {
		return c.Method == http.MethodPost && c.Channel == dNotify && strings.Contains(c.Msg.Text(), r.ApprovalID) && len(c.Msg.Buttons()) == 2
	}); err != nil {
		t.Errorf("a request made on the host was not posted: %v", err)
	}
}
