package mattermost

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// wsHarness is the adapter in websocket mode, without a public URL,
// connected to a fake Mattermost.
type wsHarness struct {
	t    *testing.T
	fake *mmfake.Server
	a    *Adapter
	run  *stubRunner
	done chan error
}

func newWSHarness(t *testing.T, token string, answer func(ops.Actor, string) ops.Result) *wsHarness {
	t.Helper()
	fake := mmfake.New(botToken)
	t.Cleanup(fake.Close)
	h := &wsHarness{t: t, fake: fake, run: &stubRunner{answer: answer}, done: make(chan error, 1)}
	a, err := New(Config{Mode: ModeWebsocket, URL: fake.URL(), BotToken: token, NotifyChannelID: notify}, h.run, &memClaims{seen: map[string]bool{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.ws.pingEvery, a.ws.minWait, a.ws.maxWait = 100*time.Millisecond, 10*time.Millisecond, 200*time.Millisecond
	h.a = a
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(wait):
			t.Error("Run did not return after its context ended")
		}
	})
	return h
}

func (h *wsHarness) publish(p mmfake.UserPost) string {
	h.t.Helper()
	id, err := h.fake.Publish(p)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *wsHarness) connected(n int) {
	h.t.Helper()
	if err := h.fake.WaitConnected(wait, n); err != nil {
		h.t.Fatal(err)
	}
}

// health waits, bounded, until the adapter's health is what ok wants.
func (h *wsHarness) health(ok func(ops.Component) bool) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for c := h.a.Health(); !ok(c); c = h.a.Health() {
		if time.Now().After(deadline) {
			h.t.Fatalf("health: %+v", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWebsocketURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://mm:8065", "ws://mm:8065/api/v4/websocket"},
		{"https://chat.example.com/", "wss://chat.example.com/api/v4/websocket"},
		{"https://example.com/chat", "wss://example.com/chat/api/v4/websocket"},
	}
	for _, tt := range tests {
		if got, err := websocketURL(tt.in); err != nil || got != tt.want {
			t.Errorf("websocketURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := websocketURL("ftp://mm"); err == nil {
		t.Error("an ftp URL was taken")
	}
}

func TestWebsocketDirectMessageIsAnsweredInItsThread(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	h.connected(1)
	h.health(func(c ops.Component) bool { return c.OK && c.Info == ModeWebsocket })
	since := h.fake.Seq()
	dm := h.fake.DM(alice, "supervisor status")
	id := h.publish(dm)
	reply, err := h.fake.Wait(wait, since, func(p mmfake.Post) bool { return p.RootID == id })
	if err != nil {
		t.Fatal(err)
	}
	if reply.ChannelID != dm.ChannelID || reply.For != "" || reply.Via != "api" || !strings.Contains(reply.Message, "ran supervisor status") {
		t.Errorf("reply: %+v", reply)
	}
	if by := h.run.by[0]; by.Platform != "mattermost" || by.ID != alice.ID || by.Name != "alice" || by.Channel != dm.ChannelID {
		t.Errorf("ran as %+v", by)
	}
}

func TestWebsocketMentionInAChannel(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	h.connected(1)
	since := h.fake.Seq()
	id := h.publish(mmfake.UserPost{User: alice, ChannelID: channel, ChannelType: "O",
		Message: "@poolvisor /ops whoami", Mentions: []string{mmfake.Bot.ID}})
	// A read is the asker's alone, in the thread.
	reply, err := h.fake.Wait(wait, since, func(p mmfake.Post) bool { return p.RootID == id })
	if err != nil {
		t.Fatal(err)
	}
	if reply.For != alice.ID || reply.Via != "ephemeral" || !strings.Contains(reply.Message, "ran ops whoami") {
		t.Errorf("reply: %+v", reply)
	}
}

func TestWebsocketIgnoresWhatIsNotACommandForIt(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	h.connected(1)
	other := mmfake.User{ID: "otherbotxxxxxxxxxxxxxxxxxx", Name: "otherbot"}
	ignored := []mmfake.UserPost{
		{User: mmfake.Bot, ChannelID: h.fake.DMChannel(alice), ChannelType: "D", Message: "supervisor stop all"},
		{User: other, ChannelID: h.fake.DMChannel(other), ChannelType: "D", Message: "supervisor stop all", FromBot: true},
		{User: alice, ChannelID: channel, ChannelType: "O", Message: "supervisor stop all"},
		{User: alice, ChannelID: channel, ChannelType: "O", Message: "hey @poolvisor supervisor stop all", Mentions: []string{mmfake.Bot.ID}},
		{User: alice, ChannelID: channel, ChannelType: "O", Message: "@poolvisorx supervisor stop all", Mentions: []string{mmfake.Bot.ID}},
	}
	for _, p := range ignored {
		h.publish(p)
	}
	// The read loop decides on each post in order: once the last one is
	// answered, the ones before it were all passed over.
	since := h.fake.Seq()
	id := h.publish(h.fake.DM(alice, "ops whoami"))
	if _, err := h.fake.Wait(wait, since, func(p mmfake.Post) bool { return p.RootID == id }); err != nil {
		t.Fatal(err)
	}
	if ran := h.run.calls(); !slices.Equal(ran, []string{"ops whoami"}) {
		t.Errorf("ran %q; only the last post is a command for the bot", ran)
	}
}

func TestWebsocketBadInputGetsAnErrorAndRunsNothing(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	h.connected(1)
	tests := []struct{ name, text, want string }{
		{"too long", "supervisor status " + strings.Repeat("x", maxCommandChars), "too long"},
		{"not a command", "hello there", "I take commands"},
		{"a form", "supervisor add", "give the values as flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since := h.fake.Seq()
			id := h.publish(h.fake.DM(alice, tt.text))
			reply, err := h.fake.Wait(wait, since, func(p mmfake.Post) bool { return p.RootID == id })
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(reply.Message, tt.want) {
				t.Errorf("reply %q lacks %q", reply.Message, tt.want)
			}
		})
	}
	if ran := h.run.calls(); len(ran) != 0 {
		t.Errorf("bad input ran %q", ran)
	}
}

func TestWebsocketReconnectsAndPings(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	h.connected(1)
	h.fake.DropWebsockets()
	h.connected(2)
	since := h.fake.Seq()
	id := h.publish(h.fake.DM(alice, "ops whoami"))
	if _, err := h.fake.Wait(wait, since, func(p mmfake.Post) bool { return p.RootID == id }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for h.fake.Pings() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the client sent no ping to keep the connection alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWebsocketOversizedFrameReconnects(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	h.connected(1)
	h.fake.SendRaw([]byte(`{"event":"posted","data":{"post":"` + strings.Repeat("x", maxFrameBytes) + `"}}`))
	h.connected(2)
	if ran := h.run.calls(); len(ran) != 0 {
		t.Errorf("an oversized frame ran %q", ran)
	}
}

func TestWebsocketRefusedTokenIsUnhealthy(t *testing.T) {
	h := newWSHarness(t, "not-the-token", okAnswer)
	h.health(func(c ops.Component) bool { return !c.OK && strings.Contains(c.Info, "401") })
}

func TestWebsocketModeWithoutPublicURLHasNoButtons(t *testing.T) {
	h := newWSHarness(t, botToken, okAnswer)
	if p := h.a.props(channel, []Button{{Label: "Approve", Command: "ops approve 1"}}); len(p.Attachments) != 0 {
		t.Errorf("buttons without a public URL to call back: %+v", p)
	}
	for _, r := range h.a.Routes() {
		if strings.Contains(r.Pattern, actionsPath) || strings.Contains(r.Pattern, dialogsPath) {
			t.Errorf("route %s served with no action secret to check it", r.Pattern)
		}
	}
}

// knownBot is an API whose users/me answers without asking the server,
// so that the token reaches the websocket's challenge.
type knownBot struct{ API }

func (knownBot) Me(context.Context) (botUser, error) {
	return botUser{ID: mmfake.Bot.ID, Username: mmfake.Bot.Name}, nil
}

func TestWebsocketChallengeRefusedIsUnhealthy(t *testing.T) {
	fake := mmfake.New(botToken)
	t.Cleanup(fake.Close)
	var attempts []bool
	var mu sync.Mutex
	a, err := New(Config{Mode: ModeWebsocket, URL: fake.URL(), BotToken: "not-the-token",
		Observe: func(route string, failed, _ bool) {
			if route == "websocket.connect" {
				mu.Lock()
				attempts = append(attempts, failed)
				mu.Unlock()
			}
		}}, &stubRunner{answer: okAnswer}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.api = knownBot{a.api}
	a.ws.minWait, a.ws.maxWait = 10*time.Millisecond, 50*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	h := &wsHarness{t: t, a: a}
	h.health(func(c ops.Component) bool { return !c.OK && strings.Contains(c.Info, "refused the bot token") })
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) == 0 || slices.Contains(attempts, false) {
		t.Errorf("websocket.connect observed as %v; want failures only", attempts)
	}
}
