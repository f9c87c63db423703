package mmfake

// The server's websocket, /api/v4/websocket, as documented at
// https://developers.mattermost.com/integrate/reference/websocket/: the
// client authenticates with the action authentication_challenge, the
// server answers the action's seq with a status and then says hello, and
// every event is {"event", "data", "broadcast", "seq"}. A "posted" event
// carries the post as a JSON document inside the string data.post, and
// the mentioned users' IDs as a JSON array inside the string
// data.mentions.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Bot is the account of the bot token, as GET /api/v4/users/me tells.
var Bot = User{ID: BotID, Name: "poolvisor"}

// authWait is how long the fake waits for the authentication challenge.
const authWait = 5 * time.Second

type wsHub struct {
	mu      sync.Mutex
	clients map[*wsClient]bool
	dms     map[string]string // user ID -> their direct channel with the bot
	authed  int               // connections authenticated so far
	pings   int               // pings received, over all connections
	changed chan struct{}
}

type wsClient struct {
	conn *websocket.Conn
	wmu  sync.Mutex
	seq  int64
}

func newWSHub() *wsHub {
	return &wsHub{clients: map[*wsClient]bool{}, dms: map[string]string{}, changed: make(chan struct{})}
}

func (h *wsHub) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// send writes an event to c with its next seq.
func (c *wsClient) send(event string, data map[string]any, broadcast map[string]any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	msg := map[string]any{"event": event, "data": data, "broadcast": broadcast, "seq": c.seq}
	c.seq++
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.conn.WriteJSON(msg)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": Bot.ID, "username": Bot.Name, "is_bot": true, "roles": "system_user"})
}

var upgrader = websocket.Upgrader{}

// serveWebsocket serves one client: the challenge, then events until either
// side closes.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.note("websocket upgrade: " + err.Error())
		return
	}
	defer conn.Close()
	c := &wsClient{conn: conn, seq: 1}
	_ = conn.SetReadDeadline(time.Now().Add(authWait))
	var challenge struct {
		Seq    int64  `json:"seq"`
		Action string `json:"action"`
		Data   struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := conn.ReadJSON(&challenge); err != nil || challenge.Action != "authentication_challenge" {
		s.note(fmt.Sprintf("websocket: expected authentication_challenge, got %+v (%v)", challenge, err))
		return
	}
	if challenge.Data.Token != s.token {
		s.note("websocket: invalid token in authentication_challenge")
		c.wmu.Lock()
		conn.WriteJSON(map[string]any{"status": "FAIL", "seq_reply": challenge.Seq,
			"error": map[string]any{"id": "api.web_socket_router.not_authenticated.app_error", "message": "invalid or expired session"}})
		c.wmu.Unlock()
		return
	}
	c.wmu.Lock()
	err = conn.WriteJSON(map[string]any{"status": "OK", "seq_reply": challenge.Seq})
	c.wmu.Unlock()
	if err != nil {
		return
	}
	if err := c.send("hello", map[string]any{"connection_id": NewID(), "server_version": "9.11.0.mmfake"},
		map[string]any{"omit_users": nil, "user_id": Bot.ID, "channel_id": "", "team_id": ""}); err != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	h := s.ws
	conn.SetPingHandler(func(data string) error {
		h.mu.Lock()
		h.pings++
		h.mu.Unlock()
		c.wmu.Lock()
		defer c.wmu.Unlock()
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	h.mu.Lock()
	h.clients[c] = true
	h.authed++
	h.notify()
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.notify()
		h.mu.Unlock()
	}()
	for { // the client sends nothing more the fake acts on; reading runs the ping handler
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// note records something the fake refused.
func (s *Server) note(msg string) {
	s.mu.Lock()
	s.refused = append(s.refused, msg)
	s.mu.Unlock()
}

// WaitConnected waits until n websocket connections in all have
// authenticated and at least one is open.
func (s *Server) WaitConnected(timeout time.Duration, n int) error {
	h := s.ws
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		ok, changed := h.authed >= n && len(h.clients) > 0, h.changed
		h.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fmt.Errorf("mmfake: fewer than %d websocket connections within %s (refused: %v)", n, timeout, s.Refused())
		}
	}
}

// Pings is the number of websocket pings received so far.
func (s *Server) Pings() int {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	return s.ws.pings
}

// DropWebsockets closes every websocket connection, as a server restart
// or a proxy's idle timeout would.
func (s *Server) DropWebsockets() {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	for c := range s.ws.clients {
		c.conn.Close()
	}
}

// DMChannel is the direct channel between user and the bot.
func (s *Server) DMChannel(user User) string {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	ch, ok := s.ws.dms[user.ID]
	if !ok {
		ch = DirectChannel(user.ID)
		s.ws.dms[user.ID] = ch
	}
	return ch
}

// UserPost is a post a user (or another bot) makes, as the websocket
// announces it.
type UserPost struct {
	User      User
	ChannelID string
	// ChannelType is "D" for a direct message, "O" for a public channel.
	ChannelType string
	RootID      string
	Message     string
	Mentions    []string // user IDs the post mentions
	FromBot     bool     // posted by a bot account (props.from_bot)
}

// DM is user's direct message to the bot.
func (s *Server) DM(user User, message string) UserPost {
	return UserPost{User: user, ChannelID: s.DMChannel(user), ChannelType: "D", Message: message, Mentions: []string{Bot.ID}}
}

// Publish makes post p and sends its "posted" event to every open
// websocket. It returns the post's new ID.
func (s *Server) Publish(p UserPost) (string, error) {
	id := NewID()
	props := map[string]any{}
	if p.FromBot {
		props["from_bot"] = "true"
	}
	now := time.Now().UnixMilli()
	post, err := json.Marshal(map[string]any{
		"id": id, "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0, "is_pinned": false,
		"user_id": p.User.ID, "channel_id": p.ChannelID, "root_id": p.RootID, "original_id": "",
		"message": p.Message, "type": "", "props": props, "hashtags": "", "pending_post_id": "", "reply_count": 0,
		"metadata": map[string]any{},
	})
	if err != nil {
		return "", err
	}
	mentions := ""
	if len(p.Mentions) > 0 {
		raw, _ := json.Marshal(p.Mentions)
		mentions = string(raw)
	}
	data := map[string]any{
		"channel_display_name": "@" + p.User.Name, "channel_name": p.ChannelID, "channel_type": p.ChannelType,
		"post": string(post), "sender_name": "@" + p.User.Name, "set_online": true, "team_id": "",
	}
	if mentions != "" {
		data["mentions"] = mentions
	}
	broadcast := map[string]any{"omit_users": nil, "user_id": "", "channel_id": p.ChannelID, "team_id": ""}
	s.ws.mu.Lock()
	clients := make([]*wsClient, 0, len(s.ws.clients))
	for c := range s.ws.clients {
		clients = append(clients, c)
	}
	s.ws.mu.Unlock()
	if len(clients) == 0 {
		return id, fmt.Errorf("mmfake: no websocket connection to announce the post to")
	}
	for _, c := range clients {
		if err := c.send("posted", data, broadcast); err != nil {
			return id, err
		}
	}
	return id, nil
}

// SendRaw sends an arbitrary text frame to every open websocket (a
// malformed or oversized event).
func (s *Server) SendRaw(frame []byte) {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	for c := range s.ws.clients {
		c.wmu.Lock()
		_ = c.conn.WriteMessage(websocket.TextMessage, frame)
		c.wmu.Unlock()
	}
}
