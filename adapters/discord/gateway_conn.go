package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// frame is one Gateway payload.
// https://discord.com/developers/docs/events/gateway-events#payload-structure
type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  int64           `json:"s"`
	T  string          `json:"t"`
}

type identifyData struct {
	Token      string             `json:"token"`
	Intents    int                `json:"intents"`
	Properties identifyProperties `json:"properties"`
}

type identifyProperties struct {
	OS      string `json:"os"`
	Browser string `json:"browser"`
	Device  string `json:"device"`
}

type resumeData struct {
	Token     string `json:"token"`
	SessionID string `json:"session_id"`
	Seq       int64  `json:"seq"`
}

// gwConn is one websocket connection: gorilla allows one writer at a
// time, and the heartbeats write beside the read loop.
type gwConn struct {
	ws    *websocket.Conn
	mu    sync.Mutex
	acked atomic.Bool // the last heartbeat was acknowledged
}

func (c *gwConn) send(op int, d any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteJSON(struct {
		Op int `json:"op"`
		D  any `json:"d"`
	}{op, d})
}

// heartbeat sends the last sequence number received (null before any).
func (c *gwConn) heartbeat(seq int64) error {
	if seq == 0 {
		return c.send(opHeartbeat, nil)
	}
	return c.send(opHeartbeat, seq)
}

// close ends the connection with code; WriteControl may run beside writes.
func (c *gwConn) close(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// wsURL adds the version and encoding poolvisor speaks to a Gateway URL.
func wsURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") {
		return "", fmt.Errorf("discord gateway: %q is not a websocket URL", base)
	}
	q := u.Query()
	q.Set("v", gatewayVersion)
	q.Set("encoding", "json")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// errBadFrame marks a frame that is not JSON; the connection goes on.
var errBadFrame = errors.New("discord gateway: a frame is not a JSON payload")

// readFrame reads the next text frame. poolvisor asks for no compression,
// so a binary frame is unexpected and skipped like bad JSON.
func readFrame(ws *websocket.Conn) (frame, error) {
	var f frame
	kind, raw, err := ws.ReadMessage()
	if err != nil {
		return f, err
	}
	if kind != websocket.TextMessage {
		return f, fmt.Errorf("%w (a binary frame)", errBadFrame)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("%w: %v", errBadFrame, err)
	}
	return f, nil
}

// target returns where to connect: READY's resume URL to resume the
// session, else the URL GET /gateway/bot names.
func (g *gateway) target(ctx context.Context) (string, bool, error) {
	if g.sessionID != "" {
		return firstNonEmpty(g.resumeURL, g.gatewayURL), true, nil
	}
	gb, err := g.rest.GatewayBot(ctx)
	if err != nil {
		var refused *APIError
		if errors.As(err, &refused) && refused.Status == http.StatusUnauthorized {
			return "", false, &gatewayFatal{"Discord refused the bot token (GET gateway/bot: HTTP 401); set discord.bot_token to the token of the application's bot"}
		}
		return "", false, err
	}
	if gb.SessionStart.Total > 0 && gb.SessionStart.Remaining == 0 {
		return "", false, &startLimit{wait: time.Duration(gb.SessionStart.ResetAfter) * time.Millisecond}
	}
	g.gatewayURL = gb.URL
	return gb.URL, false, nil
}

// connect runs one connection until it ends. ready reports whether the
// session was up on it (READY or RESUMED received).
func (g *gateway) connect(ctx context.Context) (ready bool, err error) {
	base, resuming, err := g.target(ctx)
	if err != nil {
		return false, err
	}
	u, err := wsURL(base)
	if err != nil {
		g.forget()
		return false, err
	}
	ws, resp, err := g.dialer.DialContext(ctx, u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		// A resume URL that cannot be reached a few times running is
		// given up for a new session on the URL GET /gateway/bot names.
		if resuming {
			g.resumeFails++
			if g.resumeFails >= maxResumeFailures {
				g.forget()
			}
		}
		return false, fmt.Errorf("discord gateway: connect: %w", err)
	}
	g.resumeFails = 0
	ws.SetReadLimit(maxFrameBytes)
	c := &gwConn{ws: ws}
	defer ws.Close()
	// Shutting down closes with 1000, which ends the session at once
	// rather than leaving the bot online until it times out.
	stop := context.AfterFunc(ctx, func() { c.close(websocket.CloseNormalClosure, "poolvisor is shutting down") })
	defer stop()

	_ = ws.SetReadDeadline(time.Now().Add(handshakeTimeout))
	hello, err := readFrame(ws)
	if err != nil {
		return false, g.closed(err)
	}
	var h struct {
		Interval int64 `json:"heartbeat_interval"` // milliseconds
	}
	if hello.Op != opHello || json.Unmarshal(hello.D, &h) != nil || h.Interval <= 0 {
		c.close(closeResuming, "expected HELLO")
		return false, fmt.Errorf("discord gateway: the first frame is op %d, not HELLO with a heartbeat interval", hello.Op)
	}
	interval := time.Duration(h.Interval) * time.Millisecond

	if resuming {
		err = c.send(opResume, resumeData{Token: g.token, SessionID: g.sessionID, Seq: g.seq.Load()})
	} else {
		err = c.send(opIdentify, identifyData{Token: g.token, Intents: gatewayIntents,
			Properties: identifyProperties{OS: runtime.GOOS, Browser: "poolvisor", Device: "poolvisor"}})
	}
	if err != nil {
		return false, g.closed(err)
	}
	beats := make(chan struct{})
	defer close(beats)
	go g.heartbeats(c, interval, beats)

	for {
		// Heartbeats are acknowledged within an interval; silence for two
		// means the connection is gone even if TCP has not noticed.
		wait := 2*interval + 5*time.Second
		if !ready {
			wait = max(wait, handshakeTimeout)
		}
		_ = ws.SetReadDeadline(time.Now().Add(wait))
		f, err := readFrame(ws)
		if errors.Is(err, errBadFrame) {
			g.log.Warn("discord: an unreadable Gateway frame was skipped", "err", err)
			continue
		}
		if errors.Is(err, websocket.ErrReadLimit) {
			// gorilla has closed the connection with 1009: the frame's
			// rest cannot be skipped on it.
			return ready, g.tooLarge()
		}
		if err != nil {
			return ready, g.closed(err)
		}
		switch f.Op {
		case opDispatch:
			if f.S > 0 {
				g.seq.Store(f.S)
			}
			switch f.T {
			case "READY":
				var r struct {
					SessionID string `json:"session_id"`
					ResumeURL string `json:"resume_gateway_url"`
					User      struct {
						ID       string `json:"id"`
						Username string `json:"username"`
					} `json:"user"`
				}
				if err := json.Unmarshal(f.D, &r); err != nil || r.SessionID == "" {
					c.close(closeResuming, "READY without a session")
					g.forget()
					return ready, fmt.Errorf("discord gateway: READY without a session_id")
				}
				g.sessionID, g.resumeURL = r.SessionID, r.ResumeURL
				ready = true
				g.link.Up()
				g.log.Info("discord: Gateway session ready", "bot", r.User.Username, "bot_id", r.User.ID)
			case "RESUMED":
				ready = true
				g.link.Up()
				g.log.Info("discord: Gateway session resumed", "seq", g.seq.Load())
			default:
				g.oversized = 0 // frames of a normal size flow again
				g.dispatch(f.T, f.D)
			}
		case opHeartbeat: // Discord asks for one now
			if err := c.heartbeat(g.seq.Load()); err != nil {
				return ready, g.closed(err)
			}
		case opHeartbeatAck:
			c.acked.Store(true)
		case opReconnect:
			c.close(closeResuming, "reconnecting as asked")
			return ready, errReconnect
		case opInvalidSession:
			var resumable bool
			_ = json.Unmarshal(f.D, &resumable)
			if !resumable {
				g.forget()
			}
			c.close(closeResuming, "session invalidated")
			return ready, &invalidSession{resumable: resumable}
		}
	}
}

// heartbeats sends a heartbeat every interval, the first after a random
// part of it as Discord asks. A heartbeat not acknowledged by the next
// one means a dead ("zombied") connection: it is closed so that run
// resumes on a new one.
// https://discord.com/developers/docs/events/gateway#sending-heartbeats
func (g *gateway) heartbeats(c *gwConn, interval time.Duration, done <-chan struct{}) {
	c.acked.Store(true)
	t := time.NewTimer(rand.N(interval))
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if !c.acked.Swap(false) {
			g.log.Warn("discord: the Gateway did not acknowledge a heartbeat; reconnecting")
			c.close(closeResuming, "heartbeat not acknowledged")
			return
		}
		if err := c.heartbeat(g.seq.Load()); err != nil {
			c.close(closeResuming, "heartbeat failed")
			return
		}
		t.Reset(interval)
	}
}
