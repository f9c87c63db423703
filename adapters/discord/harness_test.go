package discord

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/chat/rolltest"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/dedupe"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

const (
	appID    = "100000000000000001"
	botToken = "bot-test"
	guild    = "200000000000000001"
	channel  = "300000000000000001"
	notify   = "300000000000000002"
	opsRole  = "400000000000000001"
)

// People of the tests: two admins by user ID, an operator by role, a viewer.
var (
	alice = discordfake.Member{ID: "500000000000000001", Name: "alice"}
	bob   = discordfake.Member{ID: "500000000000000002", Name: "bob"}
	olga  = discordfake.Member{ID: "500000000000000003", Name: "olga", Roles: []string{opsRole}}
	vic   = discordfake.Member{ID: "500000000000000004", Name: "vic"}
)

// backend stands in for supervisord: a list whose pids change on restart.
type backend struct {
	restarts atomic.Int32
	delay    atomic.Int64                    // nanoseconds each list takes
	roll     atomic.Pointer[rolltest.Roller] // when set, restart and stop roll
	fleet    atomic.Bool                     // when set, list answers as a hub across a thousand hosts
	user     atomic.Pointer[string]          // when set, the user web's show says it runs as
}

func (b *backend) list(context.Context, ops.Request) (ops.Outcome, error) {
	if b.fleet.Load() {
		return fleettest.Answer()
	}
	time.Sleep(time.Duration(b.delay.Load()))
	pid := 100 + int(b.restarts.Load())
	return ops.Outcome{Message: "2 process(es) on test:",
		Data: ops.ProgramList{Programs: []ops.Process{
			{Name: "web", Group: "web", State: "RUNNING", PID: pid, Uptime: 5},
			{Name: "queue:queue_00", Group: "queue", State: "RUNNING", PID: 7},
			{Name: "worker", Group: "worker", State: "FATAL"},
		}}}, nil
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
			out.Message = "Restarted " + req.Op.Target + "."
			return out, err
		}}, nil
}

// write records the operations it applies.
type write struct{ applied chan ops.Operation }

func (w write) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	if u, _ := req.Op.Get("user"); u == "nobody2" {
		return nil, ops.Invalidf("user nobody2 does not exist on this host")
	}
	return &ops.Plan{Summary: "write " + req.Op.Target, Apply: func(context.Context) (ops.Outcome, error) {
		w.applied <- req.Op
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
		Directives: map[string]string{"command": "/usr/bin/php -S 0:80 it's", "autorestart": "true", "user": user}}}}, nil
}

type harness struct {
	t      *testing.T
	key    discordfake.Key
	fake   *discordfake.Server
	a      *Adapter
	srv    *httptest.Server
	b      *backend
	w      write
	log    *lockedBuilder
	cancel context.CancelFunc // stops Run
	ran    chan error         // Run's error, once it returned
	clock  func() time.Time   // what interactions are signed at; nil: time.Now
	trail  *audit.Log         // the pipeline's audit trail
}

// newHarness builds the adapter on a real pipeline (RBAC, approvals, audit,
// dedupe on SQLite) with a stand-in backend, and a fake Discord, in HTTP
// mode.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, func(*Config) {}, func(*Adapter) {})
}

// newHarnessWith is newHarness with the config and the built adapter
// changed before Run starts.
func newHarnessWith(t *testing.T, config func(*Config), tweak func(*Adapter)) *harness {
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
		{Role: "admin", Users: map[string][]string{"discord": []string{alice.ID, bob.ID}}},
		{Role: "operator", Groups: map[string][]string{"discord": []string{opsRole}}},
		{Role: "viewer", Users: map[string][]string{"discord": []string{vic.ID}}},
	})
	b := &backend{}
	w := write{applied: make(chan ops.Operation, 10)}
	pipe := ops.New(ops.Config{
		Host: "test", Parser: command.Parser{}, Authz: policy, Approvals: store, Audit: trail,
		Policy: ops.ApprovalPolicy{Required: []string{"supervisor.program.restart"}, ApproverRoles: []string{"admin"}, TTL: 15 * time.Minute},
		Handlers: map[string]ops.Handler{
			"supervisor.program.list":    ops.ReadFunc(b.list),
			"supervisor.program.restart": restart{b},
			"supervisor.program.stop":    restart{b},
			"supervisor.program.show":    ops.ReadFunc(b.show),
			"supervisor.program.add":     w,
			"supervisor.program.edit":    w,
			"supervisor.xmlrpc.set":      xmlrpcSet{},
			"ops.help":                   command.Help(policy),
		},
	})
	fake := discordfake.New(appID, botToken)
	t.Cleanup(fake.Close)
	key := discordfake.NewKey()
	logs := &lockedBuilder{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{Mode: ModeHTTP, BotToken: botToken, ApplicationID: appID, PublicKey: key.PublicHex(),
		GuildIDs: []string{guild}, APIURL: fake.APIURL(), NotifyChannelID: notify}
	config(&cfg)
	a, err := New(cfg, pipe, claims, log)
	if err != nil {
		t.Fatal(err)
	}
	a.wait = time.Second
	a.progressGap = 20 * time.Millisecond
	tweak(a)
	h := &harness{t: t, key: key, fake: fake, a: a, b: b, w: w, log: logs, ran: make(chan error, 1), trail: trail}
	runCtx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	done := make(chan struct{})
	go func() { h.ran <- a.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	mux := http.NewServeMux()
	mux.Handle("POST /discord/interactions", a.Handler())
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("adapter log:\n%s", logs.String())
		}
	})
	return h
}

// post sends an interaction signed now, unless mutate changes the request.
func (h *harness) post(in map[string]any, mutate ...func(*http.Request)) (int, string) {
	h.t.Helper()
	at := time.Now()
	if h.clock != nil {
		at = h.clock()
	}
	req := h.key.SignedRequest(h.srv.URL+"/discord/interactions", discordfake.Body(in), at)
	for _, m := range mutate {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// wireReply is an interaction response as Discord reads it.
type wireReply struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
}

func (a wireReply) msg(t *testing.T) discordfake.Msg {
	t.Helper()
	var m discordfake.Msg
	if len(a.Data) > 0 {
		if err := discordfake.ValidateMessage(a.Data); err != nil && a.Type != 5 {
			t.Errorf("Discord would refuse the response: %v\n%s", err, a.Data)
		}
		if err := json.Unmarshal(a.Data, &m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func (h *harness) interact(in map[string]any) wireReply {
	h.t.Helper()
	code, body := h.post(in)
	if code != http.StatusOK {
		h.t.Fatalf("HTTP %d: %s", code, body)
	}
	var a wireReply
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		h.t.Fatalf("response %q: %v", body, err)
	}
	return a
}

func (h *harness) command(who discordfake.Member, name string, path []string, opts ...discordfake.Opt) wireReply {
	h.t.Helper()
	return h.interact(discordfake.Command(discordfake.TypeCommand, appID, guild, channel, who, name, path, opts...))
}

func (h *harness) wait(seq int, what string, match func(discordfake.Call) bool) discordfake.Call {
	h.t.Helper()
	c, err := h.fake.Wait(time.Minute, seq, match) // reached only on failure
	if err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
	return c
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
