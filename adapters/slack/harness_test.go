package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/chat/rolltest"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/dedupe"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

const (
	secret  = "test-signing-secret"
	bot     = "xoxb-test"
	app     = "xapp-test"
	channel = "C0OPS"
	notify  = "C0ALERTS"
)

// People of the tests: two admins, an operator by user group, a viewer.
var (
	alice = slackfake.Slash{UserID: "U0ALICE", UserName: "alice"}
	bob   = slackfake.Slash{UserID: "U0BOB", UserName: "bob"}
	olga  = slackfake.Slash{UserID: "U0OLGA", UserName: "olga"}
	vic   = slackfake.Slash{UserID: "U0VIC", UserName: "vic"}
)

// backend stands in for supervisord: a list whose pids change on restart,
// and writes that count how often they were applied.
type backend struct {
	restarts atomic.Int32
	lists    atomic.Int32
	delay    atomic.Int64 // nanoseconds each list takes
	writes   atomic.Int32
	lastOp   atomic.Value                    // ops.Operation of the last write applied
	lastBy   atomic.Value                    // ops.Actor of the last write applied
	roll     atomic.Pointer[rolltest.Roller] // when set, restart and stop roll
	fleet    atomic.Bool                     // when set, list answers as a hub across a thousand hosts
	user     atomic.Pointer[string]          // when set, the user web's show says it runs as
}

func (b *backend) list(context.Context, ops.Request) (ops.Outcome, error) {
	b.lists.Add(1)
	if b.fleet.Load() {
		return fleettest.Answer()
	}
	time.Sleep(time.Duration(b.delay.Load()))
	pid := 100 + int(b.restarts.Load())
	return ops.Outcome{Message: "1 process(es) on test:\n  NAME STATE PID\n  web RUNNING " + fmt.Sprint(pid),
		Data: ops.ProgramList{Programs: []ops.Process{{Name: "web", Group: "web", State: "RUNNING", PID: pid, Uptime: 5}}}}, nil
}

type restart struct{ b *backend }

func (r restart) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	return &ops.Plan{Summary: "restart " + req.Op.Target + " on test", Fingerprint: "fp",
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if rl := r.b.roll.Load(); rl != nil {
				return rl.Apply(ctx, req)
			}
			time.Sleep(50 * time.Millisecond) // overlapping clicks overlap the apply
			r.b.restarts.Add(1)
			out, err := r.b.list(ctx, req)
			out.Message = "Restarted " + req.Op.Target + ":\n" + out.Message
			return out, err
		}}, nil
}

// write validates the way the Supervisor backend does, enough for forms.
type write struct{ b *backend }

func (w write) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	cmd, _ := req.Op.Get("command")
	if strings.Contains(cmd, "/no/such") {
		return nil, ops.InvalidField("command", "command: /no/such/binary does not exist or is not executable")
	}
	if u, _ := req.Op.Get("user"); u == "nobody2" {
		return nil, ops.InvalidField("user", "user nobody2 does not exist on this host")
	}
	if c, ok := req.Op.Get("content"); ok && !strings.HasPrefix(c, "[program:") {
		return nil, ops.Invalidf("the file cannot be read as supervisord would: no section")
	}
	return &ops.Plan{Summary: "write " + req.Op.Target, Apply: func(context.Context) (ops.Outcome, error) {
		w.b.writes.Add(1)
		w.b.lastOp.Store(req.Op)
		w.b.lastBy.Store(req.Actor)
		return ops.Outcome{Message: "Updated " + req.Op.Target + " on test."}, nil
	}}, nil
}

func (b *backend) show(_ context.Context, req ops.Request) (ops.Outcome, error) {
	if req.Op.Target != "web" {
		return ops.Outcome{}, ops.Invalidf("no program named %s", req.Op.Target)
	}
	user := "www-data"
	if u := b.user.Load(); u != nil {
		user = *u
	}
	return ops.Outcome{Message: "Program web", Data: map[string]any{"program": ops.Program{Name: "web", File: "/etc/supervisor/conf.d/web.conf",
		Directives: map[string]string{"command": "/usr/bin/php -S 0:80 it's", "autostart": "true", "user": user},
		Content:    "[program:web]\ncommand=/bin/true\n"}}}, nil
}

type harness struct {
	t    *testing.T
	fake *slackfake.Server
	a    *Adapter
	srv  *httptest.Server
	b    *backend
	log  *lockedBuilder
	// trail is the pipeline's audit trail, for tests that need a long one.
	trail *audit.Log
}

// newHarness builds the adapter on a real pipeline (RBAC, approvals, audit,
// dedupe on SQLite) with a stand-in backend, and a fake Slack.
// newHarness starts an adapter in mode against a fake Slack; tweaks
// change its Config first.
func newHarness(t *testing.T, mode string, tweaks ...func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, _ := approval.New(ctx, db)
	trail, _ := audit.New(ctx, db, "")
	claims, err := dedupe.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	policy := authz.New(map[string][]string{
		"viewer":   {"supervisor.program.list", "supervisor.program.show", "ops.*"},
		"operator": {"viewer", "supervisor.program.restart", "supervisor.program.stop"},
		"admin":    {"*"},
	}, []authz.Binding{
		{Role: "admin", Users: map[string][]string{"slack": []string{alice.UserID, bob.UserID}}},
		{Role: "operator", Groups: map[string][]string{"slack": []string{"S0OPS"}}},
		{Role: "viewer", Users: map[string][]string{"slack": []string{vic.UserID}}},
	})
	b := &backend{}
	pipe := ops.New(ops.Config{
		Host: "test", Parser: command.Parser{}, Authz: policy, Approvals: store, Audit: trail,
		Policy: ops.ApprovalPolicy{Required: []string{"supervisor.program.restart"}, ApproverRoles: []string{"admin"}, TTL: 15 * time.Minute},
		Handlers: map[string]ops.Handler{
			"supervisor.program.list":    ops.ReadFunc(b.list),
			"supervisor.program.show":    ops.ReadFunc(b.show),
			"supervisor.program.restart": restart{b},
			"supervisor.program.stop":    restart{b},
			"supervisor.program.add":     write{b},
			"supervisor.program.edit":    write{b},
			"fpm.pool.create":            write{b},
			"supervisor.xmlrpc.set":      xmlrpcSet{},
			"ops.help":                   command.Help(policy),
		},
	})
	fake := slackfake.New(bot, app)
	t.Cleanup(fake.Close)
	fake.SetUsergroup("S0OPS", olga.UserID)
	fake.SetUsergroup("S0OTHER", vic.UserID)
	logs := &lockedBuilder{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{Mode: mode, BotToken: bot, AppToken: app, SigningSecret: secret, APIURL: fake.APIURL(),
		NotifyChannel: notify, Usergroups: []string{"S0OPS"},
	}
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	a := New(cfg, pipe, claims, log)
	a.wait = time.Second
	a.progressGap = 20 * time.Millisecond
	h := &harness{t: t, fake: fake, a: a, b: b, log: logs, trail: trail}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if mode == ModeHTTP {
		mux := http.NewServeMux()
		mux.Handle("POST /slack/commands", a.CommandsHandler())
		mux.Handle("POST /slack/interactions", a.InteractionsHandler())
		h.srv = httptest.NewServer(mux)
		t.Cleanup(h.srv.Close)
	} else if err := fake.WaitSocket(5*time.Second, 1); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("adapter log:\n%s", logs.String())
		}
	})
	return h
}

// lockedBuilder is a log sink that concurrent writers may share.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// slash sends a signed slash command and returns the HTTP status and body.
func (h *harness) slash(who slackfake.Slash, text string, mutate ...func(*http.Request)) (int, string, slackfake.Slash) {
	h.t.Helper()
	c := who
	c.Command, c.Text, c.ChannelID = "/supervisor", text, channel
	if f := strings.Fields(text); len(f) > 0 && (f[0] == "ops" || f[0] == "fpm") {
		c.Command, c.Text = "/"+f[0], strings.TrimSpace(strings.TrimPrefix(text, f[0]))
	}
	c.ResponseURL, c.TriggerID = h.fake.ResponseURL(), h.fake.Trigger()
	code, body := h.post("/slack/commands", c.Form(), mutate...)
	return code, body, c
}

func (h *harness) post(path string, form url.Values, mutate ...func(*http.Request)) (int, string) {
	h.t.Helper()
	req := slackfake.SignedRequest(secret, h.srv.URL+path, form, time.Now())
	for _, m := range mutate {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// click clicks a button of a posted message as who.
func (h *harness) click(who slackfake.Slash, m slackfake.Message, actionID, actionTS string) (int, string) {
	h.t.Helper()
	c := slackfake.Click{UserID: who.UserID, UserName: who.UserName, ChannelID: m.Channel, MessageTS: m.TS,
		ActionID: actionID, ActionTS: actionTS, ResponseURL: h.fake.ResponseURL(), TriggerID: h.fake.Trigger()}
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			c.Value = b.Value
		}
	}
	if c.Value == "" {
		h.t.Fatalf("message #%d has no button %s", m.Seq, actionID)
	}
	return h.post("/slack/interactions", slackfake.InteractionForm(c.Payload()))
}

func decodeReply(t *testing.T, body string) reply {
	t.Helper()
	var r reply
	var raw struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatalf("reply %q: %v", body, err)
	}
	r.ResponseType, r.Text = raw.ResponseType, raw.Text+"\n"+string(slackfake.Readable(raw.Blocks))
	return r
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
