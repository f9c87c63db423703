package mattermost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

const (
	botToken = "mm-bot-token"
	secret   = "0123456789abcdef0123456789abcdef"
	wait     = 5 * time.Second
)

var tokens = map[string]string{"fpm": "tok-fpm", "supervisor": "tok-sup", "ops": "tok-ops"}

var (
	alice   = mmfake.User{ID: "aliceaaaaaaaaaaaaaaaaaaaaa", Name: "alice"}
	olga    = mmfake.User{ID: "olgaooooooooooooooooooooooo"[:26], Name: "olga"}
	channel = "chanccccccccccccccccccccccc"[:26]
	notify  = "notifynnnnnnnnnnnnnnnnnnnnn"[:26]
)

// stubRunner answers each command text with what answer says, and
// records what it ran, as whom.
type stubRunner struct {
	mu     sync.Mutex
	ran    []string
	by     []ops.Actor
	answer func(actor ops.Actor, text string) ops.Result
}

func (r *stubRunner) Run(_ context.Context, actor ops.Actor, text string) ops.Result {
	r.mu.Lock()
	r.ran, r.by = append(r.ran, text), append(r.by, actor)
	answer := r.answer
	r.mu.Unlock()
	return answer(actor, text)
}

func (r *stubRunner) Execute(ctx context.Context, actor ops.Actor, op ops.Operation) ops.Result {
	return r.Run(ctx, actor, op.Text)
}

func (r *stubRunner) Host() string { return "web-01" }

func (r *stubRunner) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ran...)
}

type harness struct {
	t    *testing.T
	fake *mmfake.Server
	a    *Adapter
	run  *stubRunner
	base string
	// remembered tells of each approval request whose posts are all
	// remembered.
	remembered chan string
}

// posted waits until approval request id is posted and remembered.
func (h *harness) posted(id string) {
	h.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case got := <-h.remembered:
			if got == id {
				return
			}
		case <-timeout:
			h.t.Fatalf("approval request %s was not posted", id)
		}
	}
}

func newHarness(t *testing.T, answer func(ops.Actor, string) ops.Result) *harness {
	t.Helper()
	fake := mmfake.New(botToken)
	t.Cleanup(fake.Close)
	h := &harness{t: t, fake: fake, run: &stubRunner{answer: answer}}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	a, err := New(Config{URL: fake.URL(), BotToken: botToken, CommandTokens: tokens, ActionSecret: secret,
		PublicURL: srv.URL, NotifyChannelID: notify}, h.run, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.remembered = make(chan string, 16)
	a.remembered = h.remembered
	handler, h.a, h.base = a.Handler(), a, srv.URL
	t.Cleanup(func() { a.bg.Drain(wait) })
	return h
}

func (h *harness) command(who mmfake.User, token, cmd, text string) mmfake.Answer {
	h.t.Helper()
	ans, err := h.fake.SendCommand(h.base+commandsPath, mmfake.Command{Token: token, Command: cmd, Text: text, User: who, ChannelID: channel})
	if err != nil {
		h.t.Fatal(err)
	}
	return ans
}

func (h *harness) waitPost(since int, what string, match func(mmfake.Post) bool) mmfake.Post {
	h.t.Helper()
	p, err := h.fake.Wait(wait, since, match)
	if err != nil {
		h.t.Fatalf("%s: %v", what, err)
	}
	return p
}
