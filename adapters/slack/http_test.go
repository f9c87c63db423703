package slack

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

const wait = time.Minute // bounds every wait for a message: reached only on failure, however busy the machine

func TestStatusAnswersInline(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	code, body, _ := h.slash(vic, "status")
	if code != 200 {
		t.Fatalf("status: %d %s", code, body)
	}
	r := decodeReply(t, body)
	if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "*web* `RUNNING`") {
		t.Errorf("a read answers ephemeral with the list: %+v", r)
	}
	if h.fake.Calls("usergroups.list") != 1 || h.fake.Calls("usergroups.users.list") != 1 {
		t.Errorf("user groups looked up %d+%d times, want 1+1 (only the bound group)",
			h.fake.Calls("usergroups.list"), h.fake.Calls("usergroups.users.list"))
	}
	h.slash(vic, "status")
	if h.fake.Calls("usergroups.list") != 1 {
		t.Errorf("user groups were not cached")
	}
	if len(h.fake.Messages()) != 0 {
		t.Errorf("an inline answer also posted: %v", h.fake.Messages())
	}
}

func TestSlowAnswerFollowsByResponseURL(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	// The list takes 40 times the inline budget, so that even a machine
	// too busy to keep time cannot make it look fast; the acknowledgement's
	// text, not a stopwatch, shows that the answer did not wait for it.
	h.a.wait = 50 * time.Millisecond
	h.b.delay.Store(int64(2 * time.Second))
	code, body, c := h.slash(vic, "status")
	if code != 200 {
		t.Fatalf("slow status answered %d", code)
	}
	if r := decodeReply(t, body); r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Working on") {
		t.Errorf("acknowledgement: %+v", r)
	}
	m, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return m.Kind == "response" })
	if err != nil {
		t.Fatal(err)
	}
	if m.ResponseURL != c.ResponseURL || m.ResponseType != "ephemeral" || !strings.Contains(m.All(), "RUNNING") {
		t.Errorf("late answer: %+v", m)
	}
}

func TestWritesAnswerInChannel(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	_, body, _ := h.slash(olga, "stop web")
	r := decodeReply(t, body)
	if r.ResponseType != "in_channel" || !strings.Contains(r.Text, "Requested by <@U0OLGA>") {
		t.Errorf("a write answers in the channel, naming who asked: %+v", r)
	}
	_, body, _ = h.slash(vic, "stop web")
	if r := decodeReply(t, body); r.ResponseType != "ephemeral" || !strings.Contains(r.Text, ":no_entry:") {
		t.Errorf("a refusal is for the asker alone: %+v", r)
	}
	if got := h.b.restarts.Load(); got != 1 {
		t.Errorf("stops applied: %d, want 1", got)
	}
}

func TestRefusedRequestsChangeNothing(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	form := slackfake.Slash{UserID: alice.UserID, UserName: "alice", Command: "/supervisor", Text: "stop web",
		ChannelID: channel, ResponseURL: h.fake.ResponseURL(), TriggerID: h.fake.Trigger()}.Form()
	now := time.Now()
	body := []byte(form.Encode())
	sign := func(r *http.Request, at time.Time, b []byte) {
		r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
		r.Header.Set("X-Slack-Signature", slackfake.Sign(secret, at.Unix(), b))
	}
	tests := []struct {
		name   string
		mutate func(*http.Request)
		want   int
	}{
		{"missing signature", func(r *http.Request) { r.Header.Del("X-Slack-Signature") }, 401},
		{"missing timestamp", func(r *http.Request) { r.Header.Del("X-Slack-Request-Timestamp") }, 401},
		{"bad signature", func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32)) }, 401},
		{"signed with another secret", func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", slackfake.Sign("other", now.Unix(), body))
		}, 401},
		{"stale", func(r *http.Request) { sign(r, now.Add(-6*time.Minute), body) }, 401},
		{"from the future", func(r *http.Request) { sign(r, now.Add(6*time.Minute), body) }, 401},
	}
	for _, tt := range tests {
		if code, _ := h.post("/slack/commands", form, tt.mutate); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
		if code, _ := h.post("/slack/interactions", form, tt.mutate); code != tt.want {
			t.Errorf("%s (interactions): %d, want %d", tt.name, code, tt.want)
		}
	}
	big := url.Values{"text": {strings.Repeat("x", 1<<20)}}
	if code, _ := h.post("/slack/commands", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 1 MiB body: %d, want 413", code)
	}
	time.Sleep(100 * time.Millisecond)
	if h.b.restarts.Load() != 0 || len(h.fake.Messages()) != 0 {
		t.Errorf("a refused request had an effect: %d stops, %d messages", h.b.restarts.Load(), len(h.fake.Messages()))
	}
}

func TestRetriedCommandAppliesOnce(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	c := slackfake.Slash{UserID: olga.UserID, UserName: "olga", Command: "/supervisor", Text: "stop web",
		ChannelID: channel, ResponseURL: h.fake.ResponseURL(), TriggerID: h.fake.Trigger()}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			h.post("/slack/commands", c.Form(), func(r *http.Request) {
				if i > 0 {
					r.Header.Set("X-Slack-Retry-Num", strconv.Itoa(i))
					r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
				}
			})
		})
	}
	wg.Wait()
	if got := h.b.restarts.Load(); got != 1 {
		t.Errorf("a command delivered three times was applied %d times", got)
	}
}

func TestResponseURLQuota(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r := newResponseURLs(func() time.Time { return now })
	r.seen("u")
	for i := range responseURLUses {
		if !r.use("u") {
			t.Fatalf("use %d refused", i+1)
		}
	}
	if r.use("u") {
		t.Error("a sixth use was allowed")
	}
	r.seen("v")
	now = now.Add(31 * time.Minute)
	if r.use("v") {
		t.Error("a use after thirty minutes was allowed")
	}
}

// TestResponseURLsStayBounded: a flood of commands does not grow the
// remembered response_urls without end; the newest are kept.
func TestResponseURLsStayBounded(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r := newResponseURLs(func() time.Time { return now })
	for i := range 3 * maxResponseURLs {
		r.seen(fmt.Sprint("u", i))
		now = now.Add(time.Millisecond)
	}
	if n := len(r.m); n > maxResponseURLs {
		t.Errorf("%d response_urls remembered, at most %d", n, maxResponseURLs)
	}
	newest := fmt.Sprint("u", 3*maxResponseURLs-1)
	if u := r.m[newest]; u == nil || u.uses != 0 {
		t.Errorf("the newest response_url was forgotten")
	}
}

func TestSpentResponseURLFallsBack(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	o := origin{Channel: channel, User: vic.UserID, ResponseURL: h.fake.ResponseURL()}
	h.a.responses.seen(o.ResponseURL)
	for range responseURLUses + 2 {
		h.a.send(t.Context(), o, RenderText("hello"), visEphemeral)
	}
	var responses, ephemerals int
	for _, m := range h.fake.Messages() {
		switch m.Kind {
		case "response":
			responses++
		case "ephemeral":
			ephemerals++
		}
	}
	if responses != responseURLUses || ephemerals != 2 {
		t.Errorf("%d answers by response_url and %d by chat.postEphemeral; want %d and 2", responses, ephemerals, responseURLUses)
	}
}
