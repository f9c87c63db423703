package discordfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The fake's Gateway: the websocket a bot connects to in gateway mode,
// served by the same httptest server. It speaks the documented handshake
// (HELLO, IDENTIFY or RESUME, READY or RESUMED), heartbeats, and the close
// codes and INVALID_SESSION a bot must handle; tests push dispatches
// (INTERACTION_CREATE) and break the connection in the ways Discord does.
// https://discord.com/developers/docs/events/gateway

// Paths of the Gateway: where GET /gateway/bot points, and the session
// URL that READY names as resume_gateway_url.
const (
	gatewayPath = "/gateway"
	resumePath  = "/gateway/resume"
)

// DefaultHeartbeatInterval is the interval the fake's HELLO asks for
// unless a test sets another (Discord's is about the same).
const DefaultHeartbeatInterval = 41250 * time.Millisecond

// privilegedIntents are GUILD_MEMBERS, GUILD_PRESENCES and
// MESSAGE_CONTENT, which an application must be granted.
const privilegedIntents = 1<<1 | 1<<8 | 1<<15

// GatewayStats is what the fake Gateway has seen.
type GatewayStats struct {
	Connections          int // websocket connections made
	ResumeURLConnections int // of which to READY's resume_gateway_url
	Identifies           int
	Resumes              int // accepted RESUMEs
	InvalidSessions      int // INVALID_SESSION sent
	Heartbeats           int
	Ready                bool              // a connection holds a ready session now
	Intents              int               // of the last IDENTIFY
	Properties           map[string]string // of the last IDENTIFY
	LastClose            int               // the code of the bot's last close frame; 0: none yet
}

type gwFrame struct {
	Op int     `json:"op"`
	D  any     `json:"d"`
	S  *int    `json:"s"`
	T  *string `json:"t"`
}

type gwClient struct {
	ws    *websocket.Conn
	ready bool
}

// gatewayHub holds one bot connection at a time and one session.
type gatewayHub struct {
	s        *Server
	upgrader websocket.Upgrader

	mu       sync.Mutex // also orders every write, so dispatches keep their sequence
	conn     *gwClient
	session  string
	seq      int
	sent     []gwFrame // the session's dispatches, replayed on RESUME
	interval time.Duration
	muteAcks bool
	stats    GatewayStats
	changed  chan struct{}
	closed   bool
	sessions int
}

func newGatewayHub(s *Server) *gatewayHub {
	return &gatewayHub{s: s, interval: DefaultHeartbeatInterval, changed: make(chan struct{}),
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}}
}

func (h *gatewayHub) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// write sends f to c; h.mu is held.
func (h *gatewayHub) write(c *gwClient, f gwFrame) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(f)
}

// closeWith ends c with a close frame; h.mu is held.
func (h *gatewayHub) closeWith(c *gwClient, code int, text string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// dispatch sends event as the session's next dispatch to c (when it is
// ready), and keeps it for a resume; h.mu is held.
func (h *gatewayHub) dispatch(c *gwClient, event string, d any) (int, error) {
	h.seq++
	seq, t := h.seq, event
	f := gwFrame{Op: 0, D: d, S: &seq, T: &t}
	h.sent = append(h.sent, f)
	if c == nil || !c.ready {
		return seq, nil
	}
	return seq, h.write(c, f)
}

func (h *gatewayHub) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwClient{ws: ws}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ws.Close()
		return
	}
	if h.conn != nil {
		h.conn.ws.Close()
	}
	h.conn = c
	h.stats.Connections++
	if r.URL.Path == resumePath {
		h.stats.ResumeURLConnections++
	}
	h.notify()
	defer func() {
		h.mu.Lock()
		if h.conn == c {
			h.conn = nil
			h.stats.Ready = false
			h.notify()
		}
		h.mu.Unlock()
		ws.Close()
	}()
	if v, enc := r.URL.Query().Get("v"), r.URL.Query().Get("encoding"); v != "10" || enc != "json" {
		h.closeWith(c, 4012, "Invalid API version")
		h.mu.Unlock()
		return
	}
	err = h.write(c, gwFrame{Op: 10, D: map[string]any{"heartbeat_interval": h.interval.Milliseconds()}})
	h.mu.Unlock()
	if err != nil {
		return
	}
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			h.ended(c, err)
			return
		}
		var f struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		h.mu.Lock()
		if json.Unmarshal(raw, &f) != nil {
			h.closeWith(c, 4002, "Error while decoding payload.")
		} else if !h.handle(c, f.Op, f.D) {
			h.closeWith(c, 4001, "Unknown opcode.")
		}
		h.mu.Unlock()
	}
}

// ended records how the bot's connection ended: a close frame with 1000
// or 1001 ends the session, as it does at Discord.
func (h *gatewayHub) ended(c *gwClient, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ce, ok := err.(*websocket.CloseError); ok {
		h.stats.LastClose = ce.Code
		if ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway {
			h.session, h.sent = "", nil
		}
	}
	if h.conn == c {
		h.conn, h.stats.Ready = nil, false
	}
	h.notify()
}

// handle answers one frame from the bot; false means an unknown opcode.
// h.mu is held.
func (h *gatewayHub) handle(c *gwClient, op int, d json.RawMessage) bool {
	defer h.notify()
	switch op {
	case 1: // HEARTBEAT
		h.stats.Heartbeats++
		if !h.muteAcks {
			_ = h.write(c, gwFrame{Op: 11})
		}
	case 2: // IDENTIFY
		var id struct {
			Token      string            `json:"token"`
			Intents    *int              `json:"intents"`
			Properties map[string]string `json:"properties"`
		}
		switch {
		case c.ready:
			h.closeWith(c, 4005, "Already authenticated.")
		case json.Unmarshal(d, &id) != nil || id.Token != h.s.bot:
			h.closeWith(c, 4004, "Authentication failed.")
		case id.Intents == nil || *id.Intents < 0:
			h.closeWith(c, 4013, "Invalid intent(s).")
		case *id.Intents&privilegedIntents != 0:
			h.closeWith(c, 4014, "Disallowed intent(s).")
		default:
			h.sessions++
			h.session, h.seq, h.sent = fmt.Sprintf("fake-session-%d", h.sessions), 0, nil
			h.stats.Identifies++
			h.stats.Intents, h.stats.Properties = *id.Intents, id.Properties
			c.ready, h.stats.Ready = true, true
			_, _ = h.dispatch(c, "READY", map[string]any{
				"v": 10, "session_id": h.session, "resume_gateway_url": h.wsURL(resumePath),
				"user":        map[string]any{"id": h.s.appID, "username": "poolvisor", "bot": true},
				"guilds":      []any{},
				"application": map[string]any{"id": h.s.appID, "flags": 0},
			})
		}
	case 6: // RESUME
		var rs struct {
			Token     string `json:"token"`
			SessionID string `json:"session_id"`
			Seq       int    `json:"seq"`
		}
		switch {
		case json.Unmarshal(d, &rs) != nil || rs.Token != h.s.bot:
			h.closeWith(c, 4004, "Authentication failed.")
		case rs.SessionID == "" || rs.SessionID != h.session:
			h.stats.InvalidSessions++
			_ = h.write(c, gwFrame{Op: 9, D: false})
		case rs.Seq > h.seq:
			h.closeWith(c, 4007, "Invalid seq.")
		default:
			for _, f := range h.sent {
				if *f.S > rs.Seq {
					_ = h.write(c, f)
				}
			}
			h.stats.Resumes++
			c.ready, h.stats.Ready = true, true
			_, _ = h.dispatch(c, "RESUMED", map[string]any{})
		}
	default:
		if !c.ready {
			h.closeWith(c, 4003, "Not authenticated.")
			return true
		}
		return false
	}
	return true
}

func (h *gatewayHub) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(h.s.srv.URL, "http") + path
}

func (h *gatewayHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.conn != nil {
		h.conn.ws.Close()
	}
}
