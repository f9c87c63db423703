package slack

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
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
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

// served is h's pipeline and fake Slack served by a new adapter that keeps
// where requests were posted in s: a `serve` of its own. stop shuts it
// down, letting its work in flight finish.
func (h *harness) served(t *testing.T, s *posted.Store) (_ *harness, stop func()) {
	t.Helper()
	a := New(Config{Mode: ModeHTTP, BotToken: bot, SigningSecret: secret, APIURL: h.fake.APIURL(),
		NotifyChannel: notify, Usergroups: []string{"S0OPS"},
	}, h.a.run, h.a.claims, slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})), WithPosted(s))
	a.wait = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", a.CommandsHandler())
	mux.Handle("POST /slack/interactions", a.InteractionsHandler())
	srv := httptest.NewServer(mux)
	var once sync.Once
	stop = func() { once.Do(func() { srv.Close(); cancel(); <-done }) }
	t.Cleanup(stop)
	r := *h
	r.a, r.srv = a, srv
	return &r, stop
}

// TestTypedDecisionAfterRestart posts a request, restarts serve on the
// same database, and decides by typing: both copies lose their buttons.
func TestTypedDecisionAfterRestart(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	dir := t.TempDir()
	before, stop := h.served(t, openPosted(t, dir))
	msg, copyMsg := requestRestart(t, before)
	stop()

	after, _ := h.served(t, openPosted(t, dir))
	id := strings.TrimPrefix(msg.Buttons()[0].Value, "ops approve ")
	since := h.fake.Seq()
	if _, body, _ := after.slash(alice, "ops approve "+id); !strings.Contains(decodeReply(t, body).Text, "Approved") {
		t.Fatalf("typed approval: %s", body)
	}
	for _, posted := range []slackfake.Message{msg, copyMsg} {
		m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
			return m.Kind == "update" && m.Channel == posted.Channel && m.TS == posted.TS
		})
		if err != nil {
			t.Fatalf("the request in %s kept its buttons: %v", posted.Channel, err)
		}
		if len(m.Buttons()) != 0 || !strings.Contains(m.All(), "Decided by <@U0ALICE>") {
			t.Errorf("decided request in %s: %s", posted.Channel, m.All())
		}
	}
	if got := h.b.restarts.Load(); got != 1 {
		t.Errorf("restarts: %d, want 1", got)
	}
}
