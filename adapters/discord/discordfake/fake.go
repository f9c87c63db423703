// Package discordfake is a fake of Discord for tests: an httptest server
// speaking the documented wire format of the REST calls poolvisor makes
// (application command bulk overwrite, interaction callbacks and webhooks,
// channel messages, GET /gateway/bot) and of the Gateway websocket,
// validating every payload against Discord's limits, and helpers that
// build interactions and sign them the way Discord does.
package discordfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Call is one request the fake received.
type Call struct {
	Seq     int
	Method  string
	Path    string // below the API base, like "channels/1/messages"
	Body    json.RawMessage
	Msg     Msg    // the message, for message calls
	Channel string // for channel calls
	Token   string // for webhook and callback calls
	// Interaction and Type are the interaction a callback answers and
	// the type of its response (4 message, 5 deferred, 7 update, ...).
	Interaction string
	Type        int
	Err         string // why it was refused, if it was
	// Files are the files a message call carried (multipart/form-data).
	Files []File
}

// Server is a fake Discord REST API.
type Server struct {
	srv   *httptest.Server
	bot   string
	appID string

	gw *gatewayHub

	mu           sync.Mutex
	calls        []Call
	commands     map[string][]*AppCommand // by guild ("" for global)
	interactions map[string]*interaction  // sent over the Gateway, by token
	next         int
	changed      chan struct{}
	limits       map[string]limit // RateLimitNext's, by route prefix
}

// New starts a fake for the application appID that accepts the bot token.
func New(appID, botToken string) *Server {
	s := &Server{bot: botToken, appID: appID, commands: map[string][]*AppCommand{},
		interactions: map[string]*interaction{}, next: 1000, changed: make(chan struct{})}
	s.gw = newGatewayHub(s)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+gatewayPath, s.gw.serve)
	mux.HandleFunc("GET "+resumePath, s.gw.serve)
	mux.HandleFunc("/", s.serve)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the fake.
func (s *Server) Close() {
	s.gw.close()
	s.srv.Close()
}

// APIURL is the base URL to configure as discord.api_url.
func (s *Server) APIURL() string { return s.srv.URL + "/api/v10/" }

// Calls returns the calls received from seq on.
func (s *Server) Calls(seq int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Seq >= seq {
			out = append(out, c)
		}
	}
	return out
}

// Seq is the sequence number the next call gets.
func (s *Server) Seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Commands returns what is registered in guild ("" for global).
func (s *Server) Commands(guild string) []*AppCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guild]
}

// Wait returns the first call from seq on that match accepts, waiting up
// to d for it.
func (s *Server) Wait(d time.Duration, seq int, match func(Call) bool) (Call, error) {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		for _, c := range s.calls[min(seq, len(s.calls)):] {
			if match(c) {
				s.mu.Unlock()
				return c, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return Call{}, fmt.Errorf("no matching Discord call within %s; calls: %s", d, s.describe(seq))
		}
	}
}

func (s *Server) describe(seq int) string {
	var parts []string
	for _, c := range s.Calls(seq) {
		parts = append(parts, fmt.Sprintf("%s %s %s", c.Method, c.Path, c.Err))
	}
	return strings.Join(parts, "; ")
}

func (s *Server) record(c Call) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Seq = len(s.calls)
	s.calls = append(s.calls, c)
	close(s.changed)
	s.changed = make(chan struct{})
	return c
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v10/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: path, Body: body}
	parts := strings.Split(path, "/")
	// Discord's JSON error codes.
	// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
	failCode := func(status, code int, format string, args ...any) {
		c.Err = fmt.Sprintf(format, args...)
		s.record(c)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"code": code, "message": c.Err})
	}
	fail := func(status int, format string, args ...any) { failCode(status, 50035, format, args...) }
	// Webhooks and callbacks are authorised by the interaction token instead.
	webhook := parts[0] == "webhooks" || parts[0] == "interactions"
	if !webhook && r.Header.Get("Authorization") != "Bot "+s.bot {
		failCode(http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}
	if s.rateLimited(w, c) {
		return
	}
	switch {
	case parts[0] == "gateway" && len(parts) == 2 && parts[1] == "bot" && r.Method == http.MethodGet:
		st := s.GatewayStats()
		s.record(c)
		writeJSON(w, map[string]any{"url": s.GatewayURL(), "shards": 1, "session_start_limit": map[string]any{
			"total": 1000, "remaining": max(0, 1000-st.Identifies), "reset_after": 86400000, "max_concurrency": 1}})
	case parts[0] == "interactions" && len(parts) == 4 && parts[3] == "callback" && r.Method == http.MethodPost:
		c.Interaction, c.Token = parts[1], parts[2]
		status, code, err := s.callback(&c, body)
		if err != nil {
			failCode(status, code, "%v", err)
			return
		}
		s.record(c)
		w.WriteHeader(http.StatusNoContent)
	case webhook && len(parts) >= 3 && parts[1] == s.appID && !s.answered(parts[2]):
		c.Token = parts[2]
		failCode(http.StatusNotFound, 10015, "Unknown Webhook: the interaction has not been answered yet")
	case parts[0] == "applications" && len(parts) >= 3 && parts[1] == s.appID:
		guild := ""
		if parts[2] == "guilds" && len(parts) == 5 && parts[4] == "commands" {
			guild = parts[3]
		} else if !(parts[2] == "commands" && len(parts) == 3) {
			fail(http.StatusNotFound, "unknown endpoint")
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.mu.Lock()
			out := s.commands[guild]
			s.mu.Unlock()
			if out == nil {
				out = []*AppCommand{}
			}
			s.record(c)
			writeJSON(w, out)
		case http.MethodPut:
			cmds, err := ValidateCommands(body)
			if err != nil {
				fail(http.StatusBadRequest, "%v", err)
				return
			}
			s.mu.Lock()
			for _, cmd := range cmds {
				s.next++
				cmd.ID, cmd.Type = fmt.Sprint(s.next), 1
			}
			s.commands[guild] = cmds
			s.mu.Unlock()
			s.record(c)
			writeJSON(w, cmds)
		default:
			fail(http.StatusMethodNotAllowed, "method")
		}
	case webhook && len(parts) == 5 && parts[3] == "messages" && parts[4] == "@original" && r.Method == http.MethodGet:
		c.Token = parts[2]
		ch, msg, ok := originalOf(c.Token)
		if !ok {
			failCode(http.StatusNotFound, 10008, "Unknown Message")
			return
		}
		s.record(c)
		writeJSON(w, map[string]any{"id": msg, "channel_id": ch})
	case webhook && len(parts) >= 3 && parts[1] == s.appID:
		c.Token = parts[2]
		payload, files, err := messageBody(r, body)
		if err != nil {
			fail(http.StatusBadRequest, "%v", err)
			return
		}
		body, c.Body, c.Files = payload, payload, files
		if err := ValidateMessageWithFiles(body, len(files)); err != nil {
			fail(http.StatusBadRequest, "%v", err)
			return
		}
		json.Unmarshal(body, &c.Msg)
		s.record(c)
		writeJSON(w, map[string]any{"id": s.id()})
	case path == "users/@me/channels" && r.Method == http.MethodPost:
		// Create DM: the channel's ID is "dm-" and the user's, so that
		// tests can tell where a direct message went.
		var in struct {
			RecipientID string `json:"recipient_id"`
		}
		if json.Unmarshal(body, &in) != nil || in.RecipientID == "" {
			fail(http.StatusBadRequest, "recipient_id is required")
			return
		}
		s.record(c)
		writeJSON(w, map[string]any{"id": "dm-" + in.RecipientID, "type": 1})
	case parts[0] == "channels" && len(parts) >= 3 && parts[2] == "messages":
		c.Channel = parts[1]
		if err := ValidateMessage(body); err != nil {
			fail(http.StatusBadRequest, "%v", err)
			return
		}
		json.Unmarshal(body, &c.Msg)
		id := s.id()
		if len(parts) == 4 {
			id = parts[3]
		}
		s.record(c)
		writeJSON(w, map[string]any{"id": id, "channel_id": c.Channel})
	default:
		fail(http.StatusNotFound, "unknown endpoint")
	}
}

func (s *Server) id() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	return fmt.Sprintf("%d", 900000000000000000+s.next)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
