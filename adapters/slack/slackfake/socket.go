package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// pingEvery is how often the fake pings a Socket Mode client, as Slack does;
// slack-go reconnects when pings stop.
const pingEvery = time.Second

// socketHub is the fake's Socket Mode endpoint: one client connection at a
// time, envelopes sent by the test, acknowledgements collected by envelope id.
// https://docs.slack.dev/apis/events-api/using-socket-mode
type socketHub struct {
	s        *Server
	upgrader websocket.Upgrader
	mu       sync.Mutex
	conn     *websocket.Conn
	wmu      sync.Mutex // gorilla's writes are not concurrency-safe
	acks     map[string][]json.RawMessage
	changed  chan struct{}
	conns    int
	closed   bool
}

func newSocketHub(s *Server) *socketHub {
	return &socketHub{s: s, acks: map[string][]json.RawMessage{}, changed: make(chan struct{}),
		// slack-go dials with Origin https://api.slack.com, as Slack expects.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}}
}

func (h *socketHub) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *socketHub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		conn.Close()
		return
	}
	if h.conn != nil {
		h.conn.Close()
	}
	h.conn = conn
	h.conns++
	h.notify()
	h.mu.Unlock()

	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0FAKE"},
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 3600}}
	if h.write(conn, websocket.TextMessage, hello) != nil {
		return
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(pingEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h.write(conn, websocket.PingMessage, nil) != nil {
					return
				}
			}
		}
	}()
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		h.mu.Lock()
		if len(ack.Payload) == 0 {
			ack.Payload = json.RawMessage("null")
		}
		h.acks[ack.EnvelopeID] = append(h.acks[ack.EnvelopeID], ack.Payload)
		h.notify()
		h.mu.Unlock()
	}
}

func (h *socketHub) write(conn *websocket.Conn, kind int, v any) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if kind == websocket.PingMessage {
		return conn.WriteMessage(kind, []byte("ping"))
	}
	return conn.WriteJSON(v)
}

func (h *socketHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.conn != nil {
		h.conn.Close()
	}
}

// WaitSocket waits until a Socket Mode client has made its n-th connection
// (1 for the first), and returns the number of connections made so far.
func (s *Server) WaitSocket(timeout time.Duration, n int) error {
	deadline := time.After(timeout)
	for {
		s.sock.mu.Lock()
		ok, ch := s.sock.conns >= n && s.sock.conn != nil, s.sock.changed
		s.sock.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("no Socket Mode connection #%d within %s", n, timeout)
		}
	}
}

// DropSocket closes the current Socket Mode connection, as a network
// failure would; the client is expected to reconnect.
func (s *Server) DropSocket() {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	if s.sock.conn != nil {
		s.sock.conn.Close()
		s.sock.conn = nil
	}
}

// SendEnvelope sends a Socket Mode envelope of type typ ("slash_commands",
// "interactive") carrying payload. Sending the same id again is a redelivery.
func (s *Server) SendEnvelope(id, typ string, payload any, retry int) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	env := map[string]any{"envelope_id": id, "type": typ, "payload": json.RawMessage(raw),
		"accepts_response_payload": true, "retry_attempt": retry, "retry_reason": ""}
	s.sock.mu.Lock()
	conn := s.sock.conn
	s.sock.mu.Unlock()
	if conn == nil {
		return fmt.Errorf("no Socket Mode client is connected")
	}
	return s.sock.write(conn, websocket.TextMessage, env)
}

// WaitAck waits for the acknowledgement of an envelope and returns its
// payload ("null" for an acknowledgement without one).
func (s *Server) WaitAck(timeout time.Duration, id string) (json.RawMessage, error) {
	deadline := time.After(timeout)
	for {
		s.sock.mu.Lock()
		got, ch := s.sock.acks[id], s.sock.changed
		s.sock.mu.Unlock()
		if len(got) > 0 {
			return got[0], nil
		}
		select {
		case <-ch:
		case <-deadline:
			return nil, fmt.Errorf("envelope %s not acknowledged within %s", id, timeout)
		}
	}
}

// Acks returns how many acknowledgements an envelope got.
func (s *Server) Acks(id string) int {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return len(s.sock.acks[id])
}
