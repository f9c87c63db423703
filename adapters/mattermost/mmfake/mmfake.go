// Package mmfake is a fake Mattermost server for tests: the REST calls
// poolvisor makes (posts, post updates, ephemeral posts, a user's
// groups), the response_url of slash commands, and the server's side of
// integrations: it sends slash commands as form posts and clicks buttons
// by calling their integration URL with their context, as Mattermost
// does; and its websocket, which announces users' posts (websocket.go). It speaks the documented wire formats with types of its own, so
// it checks the adapter rather than sharing its mistakes:
//   - https://developers.mattermost.com/integrate/slash-commands/custom/
//   - https://developers.mattermost.com/integrate/plugins/interactive-messages/
//   - https://api.mattermost.com/#tag/posts
package mmfake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"time"
)

// maxPostChars is Mattermost's longest post message (server 5.0+).
const maxPostChars = 16383

// User is a Mattermost user.
type User struct {
	ID   string
	Name string
}

// Post is a message as the fake shows it: a post of the bot's (by the
// REST API or a command's in_channel answer), or an ephemeral one for
// one user.
type Post struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	RootID    string `json:"root_id,omitempty"`
	Message   string `json:"message"`
	Props     Props  `json:"props"`
	// FileIDs are the files uploaded to the channel that the post shows
	// (files.go).
	FileIDs []string `json:"file_ids,omitempty"`
	// For is the user an ephemeral post shows to; "" for everyone.
	For string `json:"-"`
	// Via says how it came: "api", "response_url", "ephemeral".
	Via   string `json:"-"`
	Edits int    `json:"-"`
	Seq   int    `json:"-"`
}

// Props are a post's properties.
type Props struct {
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a message attachment.
type Attachment struct {
	Fallback string   `json:"fallback,omitempty"`
	Color    string   `json:"color,omitempty"`
	Text     string   `json:"text,omitempty"`
	Actions  []Action `json:"actions,omitempty"`
}

// Action is a button.
type Action struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Style       string `json:"style,omitempty"`
	Integration struct {
		URL     string         `json:"url"`
		Context map[string]any `json:"context"`
	} `json:"integration"`
}

// Buttons are the names of a post's buttons.
func (p Post) Buttons() []string {
	var out []string
	for _, a := range p.Props.Attachments {
		for _, b := range a.Actions {
			out = append(out, b.Name)
		}
	}
	return out
}

// Server is the fake Mattermost.
type Server struct {
	srv   *httptest.Server
	token string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	posts   []*Post
	seq     int
	groups  map[string][]string
	hooks   map[string]hook // response_url id -> where it answers
	// triggers are the trigger_ids handed out, by user; dialogs, the
	// dialogs opened with them.
	triggers map[string]string
	dialogs  []Dialog
	// outside are the channels the bot is not a member of.
	outside map[string]bool
	refused []string  // what the fake refused, and why
	ws      *wsHub    // the websocket's clients (websocket.go)
	fs      fileState // files and direct channels (files.go)
}

type hook struct{ channel, user string }

// New starts a fake Mattermost whose bot token is token.
func New(token string) *Server {
	s := &Server{token: token, changed: make(chan struct{}), groups: map[string][]string{}, hooks: map[string]hook{}, triggers: map[string]string{}, outside: map[string]bool{}, ws: newWSHub()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v4/posts", s.auth(s.createPost))
	mux.HandleFunc("PUT /api/v4/posts/{id}", s.auth(s.updatePost))
	mux.HandleFunc("POST /api/v4/posts/ephemeral", s.auth(s.ephemeral))
	mux.HandleFunc("GET /api/v4/users/{id}/groups", s.auth(s.userGroups))
	mux.HandleFunc("POST /api/v4/actions/dialogs/open", s.auth(s.openDialog))
	mux.HandleFunc("POST /hooks/commands/{id}", s.respond)
	mux.HandleFunc("GET /api/v4/users/me", s.auth(s.me))
	mux.HandleFunc("GET /api/v4/websocket", s.serveWebsocket) // authenticated by its challenge
	s.fileRoutes(mux)                                         // files, and direct channels (files.go)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the server's base URL (mattermost.url).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetGroups makes user a member of groups.
func (s *Server) SetGroups(user string, groups ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[user] = groups
}

var idRE = regexp.MustCompile(`^[a-z0-9]{26}$`)

// LeaveChannel takes the bot out of channel: its posts there are refused
// (403), as Mattermost refuses a bot that is not a member.
func (s *Server) LeaveChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outside[channel] = true
}

// NewID returns a new Mattermost ID: 26 lower-case letters and digits.
func NewID() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 26)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.token {
			s.refuse(w, http.StatusUnauthorized, "invalid or expired session")
			return
		}
		h(w, r)
	}
}

func (s *Server) refuse(w http.ResponseWriter, status int, msg string) {
	s.mu.Lock()
	s.refused = append(s.refused, msg)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"id": "api.fake.refused", "message": msg, "status_code": status})
}

// Refused is what the fake refused so far, and why.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

func (s *Server) add(p *Post) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	p.Seq = s.seq
	s.posts = append(s.posts, p)
	s.notify()
}

func (s *Server) edit(id, message string, props Props) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts {
		if p.ID == id {
			s.seq++
			p.Message, p.Props, p.Edits, p.Seq = message, props, p.Edits+1, s.seq
			s.notify()
			return true
		}
	}
	return false
}

// notify wakes whoever waits; s.mu is held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Post returns the post id as it is now.
func (s *Server) Post(id string) (Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts {
		if p.ID == id {
			return *p, true
		}
	}
	return Post{}, false
}

// Posts returns every post so far, ephemeral ones included, as they are now.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Post, len(s.posts))
	for i, p := range s.posts {
		out[i] = *p
	}
	return out
}

// Seq is the number of changes so far: Wait(since) sees only later ones.
func (s *Server) Seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Wait returns the first post created or edited after change since that
// match, waiting up to timeout.
func (s *Server) Wait(timeout time.Duration, since int, match func(Post) bool) (Post, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, p := range s.posts {
			if p.Seq > since && match(*p) {
				out := *p
				s.mu.Unlock()
				return out, nil
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return Post{}, fmt.Errorf("mmfake: no matching post within %s (refused: %v)", timeout, s.Refused())
		}
	}
}
