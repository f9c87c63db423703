// Package slackfake is an httptest fake of the Slack that poolvisor talks
// to: the Web API methods it calls (auth.test, chat.postMessage,
// chat.update, chat.postEphemeral, views.open, usergroups.list,
// usergroups.users.list, apps.connections.open), response_url targets with
// their quota, and a Socket Mode websocket. It speaks Slack's documented
// wire format, checks tokens, trigger lifetimes and Block Kit limits the way
// Slack does, and records what it was sent so tests can look.
//
// It also builds signed requests (Sign, SlashCommand, BlockAction,
// ViewSubmission), so tests drive the adapter exactly as Slack would.
package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Slack's quotas and lifetimes the fake enforces.
const (
	responseURLUses     = 5                // https://docs.slack.dev/interactivity/handling-user-interaction
	responseURLLifetime = 30 * time.Minute // same page
	triggerLifetime     = 3 * time.Second  // same page
)

// Message is one message the fake received, by any route.
type Message struct {
	Seq             int             `json:"seq"`
	Kind            string          `json:"kind"` // post, update, ephemeral, response
	Channel         string          `json:"channel,omitempty"`
	TS              string          `json:"ts,omitempty"`        // post, update: the message's timestamp
	ThreadTS        string          `json:"thread_ts,omitempty"` // post: the message it answers in a thread
	User            string          `json:"user,omitempty"`      // ephemeral: who sees it
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks,omitempty"`
	ResponseType    string          `json:"response_type,omitempty"` // response: ephemeral or in_channel
	ReplaceOriginal bool            `json:"replace_original,omitempty"`
	ResponseURL     string          `json:"response_url,omitempty"` // response: which target
}

// Button is one button of a message.
type Button struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
}

// Buttons returns the message's buttons.
func (m Message) Buttons() []Button {
	var blocks []struct {
		Type     string   `json:"type"`
		Elements []Button `json:"elements"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var out []Button
	for _, b := range blocks {
		if b.Type == "actions" {
			out = append(out, b.Elements...)
		}
	}
	return out
}

// All returns the message's text and every text of its blocks, for tests
// that look for words.
func (m Message) All() string { return m.Text + "\n" + string(m.Blocks) }

// OpenedView is a modal that views.open opened, as views.update last left it.
type OpenedView struct {
	ID        string `json:"id"`
	TriggerID string `json:"trigger_id"`
	View      View   `json:"view"`
	Updates   int    `json:"updates"` // views.update calls that replaced it
}

// Hash is the view's current hash, which changes with every update; a
// block_actions payload from the view carries it.
func (v OpenedView) Hash() string { return fmt.Sprintf("h%s-%d", v.ID, v.Updates) }

// Server is the fake. Its zero value is not usable: call New.
type Server struct {
	BotToken string
	AppToken string

	srv *httptest.Server
	mu  sync.Mutex
	// changed is closed and replaced whenever something is recorded.
	changed      chan struct{}
	seq          int
	messages     []Message
	views        []OpenedView
	triggers     map[string]time.Time
	groups       map[string][]string
	calls        map[string]int
	responses    map[string]*target
	notInChannel map[string]bool
	rateLimited  map[string]bool
	limitedNext  map[string]burst
	sock         *socketHub
	uploads      map[string]*upload // files.getUploadURLExternal's, by file ID
	files        []File
	fileSeq      int
}

// burst is a number of 429 answers still to give, and the Retry-After
// (seconds) each carries.
type burst struct{ times, retryAfter int }

type target struct {
	uses    int
	created time.Time
}

// New starts a fake that accepts botToken for the Web API and appToken for
// apps.connections.open.
func New(botToken, appToken string) *Server {
	s := &Server{
		BotToken: botToken, AppToken: appToken,
		changed:  make(chan struct{}),
		triggers: map[string]time.Time{}, groups: map[string][]string{},
		calls: map[string]int{}, responses: map[string]*target{}, notInChannel: map[string]bool{},
		rateLimited: map[string]bool{}, limitedNext: map[string]burst{},
		uploads: map[string]*upload{},
	}
	s.sock = newSocketHub(s)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.api)
	mux.HandleFunc("POST /response/{id}", s.response)
	mux.HandleFunc("POST /upload/{id}", s.receiveUpload)
	mux.HandleFunc("GET /socket", s.sock.serve)
	s.srv = httptest.NewServer(mux)
	return s
}

// RateLimit makes the Web API method answer as Slack does past its rate
// limit: HTTP 429 with a Retry-After header
// (https://api.slack.com/apis/rate-limits), until called again with false.
func (s *Server) RateLimit(method string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited[method] = on
}

// RateLimitNext makes the next times calls of the Web API method answer
// 429 with Retry-After: retryAfter (whole seconds, as Slack sends it), and
// the calls after them answer as usual.
func (s *Server) RateLimitNext(method string, times, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitedNext[method] = burst{times: times, retryAfter: retryAfter}
}

// Close stops the fake.
func (s *Server) Close() {
	s.sock.close()
	s.srv.Close()
}

// APIURL is the Web API base URL, for slack.api_url.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// SetUsergroup makes id a user group with members.
func (s *Server) SetUsergroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = members
}

// NotInChannel makes chat.postMessage to channel fail as Slack does when
// the bot is not a member of a private channel.
func (s *Server) NotInChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notInChannel[channel] = true
}

// Trigger mints a trigger_id, valid for views.open during three seconds.
func (s *Server) Trigger() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("%d.1000.trigger%d", s.seq, s.seq)
	s.triggers[id] = time.Now()
	return id
}

// ResponseURL mints a response_url target.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("R%d", s.seq)
	s.responses[id] = &target{created: time.Now()}
	return s.srv.URL + "/response/" + id
}

// Calls returns how many times a Web API method was called.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Views returns every modal opened so far.
func (s *Server) Views() []OpenedView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]OpenedView(nil), s.views...)
}

// Wait returns the first message since seq (exclusive; 0 for all) that
// matches, waiting up to timeout for it.
func (s *Server) Wait(timeout time.Duration, since int, match func(Message) bool) (Message, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		for _, m := range s.messages {
			if m.Seq > since && match(m) {
				s.mu.Unlock()
				return m, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return Message{}, fmt.Errorf("no matching message within %s; got:\n%s", timeout, s.dump(since))
		}
	}
}

// Seq returns the sequence number of the last message, for Wait.
func (s *Server) Seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.messages) == 0 {
		return 0
	}
	return s.messages[len(s.messages)-1].Seq
}

func (s *Server) dump(since int) string {
	var b strings.Builder
	for _, m := range s.Messages() {
		if m.Seq > since {
			fmt.Fprintf(&b, "  #%d %s %s %s: %.300s\n", m.Seq, m.Kind, m.Channel, m.ResponseType, m.All())
		}
	}
	return b.String()
}

// Readable re-encodes JSON without Go's HTML escaping (\u003c for <), so
// tests can look for mentions and links as Slack would read them.
func Readable(raw json.RawMessage) json.RawMessage {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return raw
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return raw
	}
	return json.RawMessage(bytes.TrimSpace(b.Bytes()))
}

// record stores m under the lock the caller holds, and wakes waiters.
func (s *Server) record(m Message) Message {
	m.Blocks = Readable(m.Blocks)
	s.seq++
	m.Seq = s.seq
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return m
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

// response is a response_url target: JSON messages, five uses in thirty minutes.
func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.responses[r.PathValue("id")]
	switch {
	case !ok:
		http.Error(w, "no_such_url", http.StatusNotFound)
		return
	case time.Since(t.created) > responseURLLifetime:
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	case t.uses >= responseURLUses:
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		if err := ValidateBlocks(msg.Blocks, false); err != nil {
			http.Error(w, "invalid_blocks: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	t.uses++
	s.record(Message{Kind: "response", Text: msg.Text, Blocks: msg.Blocks, ResponseType: msg.ResponseType,
		ReplaceOriginal: msg.ReplaceOriginal, ResponseURL: "http://" + r.Host + r.URL.Path})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
