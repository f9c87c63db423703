package discord

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// openPosted opens the posted messages in the database in dir, as a
// process of its own would.
func openPosted(t *testing.T, dir string) *posted.Store {
	t.Helper()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := posted.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// served is h's pipeline and fake Discord served by a new adapter that
// keeps where requests were posted in s: a `serve` of its own. stop shuts
// it down, letting its work in flight finish.
func (h *harness) served(t *testing.T, s *posted.Store) (_ *harness, stop func()) {
	t.Helper()
	return h.servedAt(t, s, nil)
}

// servedAt is served on the clock now (nil: time.Now).
func (h *harness) servedAt(t *testing.T, s *posted.Store, now func() time.Time) (_ *harness, stop func()) {
	t.Helper()
	a, err := New(Config{Mode: ModeHTTP, BotToken: botToken, ApplicationID: appID, PublicKey: h.key.PublicHex(),
		GuildIDs: []string{guild}, APIURL: h.fake.APIURL(), NotifyChannelID: notify, Now: now,
	}, h.a.run, h.a.claims, slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})), WithPosted(s))
	if err != nil {
		t.Fatal(err)
	}
	a.wait = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	mux := http.NewServeMux()
	mux.Handle("POST /discord/interactions", a.Handler())
	srv := httptest.NewServer(mux)
	var once sync.Once
	stop = func() { once.Do(func() { srv.Close(); cancel(); <-done }) }
	t.Cleanup(stop)
	r := *h
	r.a, r.srv, r.clock = a, srv, now
	return &r, stop
}

// TestTypedDecisionAfterRestart posts a request, restarts serve on the
// same database, and decides by typing: the response (by its interaction
// token, still valid) and the notify channel's copy lose their buttons.
func TestTypedDecisionAfterRestart(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	before, stop := h.served(t, openPosted(t, dir))
	seq := h.fake.Seq()
	asked := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, olga, "supervisor", []string{"restart"},
		discordfake.Opt{Name: "program", Value: "web"})
	req := before.interact(asked).msg(t)
	if len(req.Buttons()) != 2 {
		t.Fatalf("restart by an operator: %s", req.Text())
	}
	h.wait(seq, "the copy in the notify channel", func(c discordfake.Call) bool {
		return c.Method == http.MethodPost && c.Channel == notify && len(c.Msg.Buttons()) == 2
	})
	stop()

	after, _ := h.served(t, openPosted(t, dir))
	id := strings.TrimPrefix(req.Buttons()[0].CustomID, "pv:ops approve ")
	seq = h.fake.Seq()
	typed := after.command(alice, "ops", []string{"approve"}, discordfake.Opt{Name: "id", Value: id})
	if m := typed.msg(t); !strings.Contains(m.Text(), "Approved") {
		t.Fatalf("typed approval: type %d %s", typed.Type, m.Text())
	}
	for what, match := range map[string]func(discordfake.Call) bool{
		"the response": func(c discordfake.Call) bool {
			return c.Path == "webhooks/"+appID+"/"+asked["token"].(string)+"/messages/@original"
		},
		"the notify channel's copy": func(c discordfake.Call) bool {
			return c.Channel == notify && strings.HasPrefix(c.Path, "channels/"+notify+"/messages/")
		},
	} {
		c := h.wait(seq, what+" updated", func(c discordfake.Call) bool { return c.Method == http.MethodPatch && match(c) })
		if len(c.Msg.Buttons()) != 0 || !strings.Contains(c.Msg.Text(), "Decided by alice") {
			t.Errorf("%s: %s", what, c.Msg.Text())
		}
	}
}

// TestDecisionAfterTheTokenExpired: an approval may be decided after its
// response's interaction token (15 minutes) has expired; the response is
// then edited with the bot token, by the channel and message ID looked up
// while the token was valid.
func TestDecisionAfterTheTokenExpired(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	before, stop := h.served(t, openPosted(t, dir))
	seq := h.fake.Seq()
	asked := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, olga, "supervisor", []string{"restart"},
		discordfake.Opt{Name: "program", Value: "web"})
	req := before.interact(asked).msg(t)
	h.wait(seq, "the response looked up", func(c discordfake.Call) bool {
		return c.Method == http.MethodGet && strings.HasSuffix(c.Path, "/messages/@original")
	})
	h.wait(seq, "the copy in the notify channel", func(c discordfake.Call) bool {
		return c.Method == http.MethodPost && c.Channel == notify
	})
	stop()

	later := func() time.Time { return time.Now().Add(16 * time.Minute) }
	after, _ := h.servedAt(t, openPosted(t, dir), later)
	id := strings.TrimPrefix(req.Buttons()[0].CustomID, "pv:ops approve ")
	seq = h.fake.Seq()
	if m := after.command(alice, "ops", []string{"approve"}, discordfake.Opt{Name: "id", Value: id}).msg(t); !strings.Contains(m.Text(), "Approved") {
		t.Fatalf("typed approval: %s", m.Text())
	}
	c := h.wait(seq, "the response edited with the bot token", func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && c.Channel == channel && strings.HasPrefix(c.Path, "channels/"+channel+"/messages/7")
	})
	if len(c.Msg.Buttons()) != 0 || !strings.Contains(c.Msg.Text(), "Decided by alice") {
		t.Errorf("the response: %s", c.Msg.Text())
	}
	for _, c := range h.fake.Calls(seq) {
		if strings.Contains(c.Path, asked["token"].(string)) {
			t.Errorf("the expired token was used: %s %s", c.Method, c.Path)
		}
	}
}
