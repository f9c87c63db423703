package mattermost

// Websocket mode: poolvisor connects out to the server's
// /api/v4/websocket, the connection Mattermost's own clients hold, and
// reads the posts made to the bot there, so that a host no Mattermost
// server can reach still takes commands typed in a direct message or in a
// post that mentions the bot. The protocol, as documented at
// https://developers.mattermost.com/integrate/reference/websocket/ (and
// https://api.mattermost.com/#tag/WebSocket):
//
//   - the client opens the socket and sends the action
//     {"seq": 1, "action": "authentication_challenge", "data": {"token": T}};
//     the server answers {"status": "OK", "seq_reply": 1} (or "FAIL" with
//     an error) and sends the event "hello";
//   - events are {"event": NAME, "data": {...}, "broadcast": {...}, "seq": N};
//     a new post is the event "posted", whose data.post is the post as a
//     JSON document inside a string, data.channel_type "D" for a direct
//     message and data.mentions the mentioned users' IDs, again as JSON
//     in a string.
//
// The token goes in the challenge, not in a header of the upgrade, so a
// proxy that logs request headers does not log it. What arrives over the
// socket is trusted as far as the TLS connection to the configured server
// is: the user of a post is the user_id the server put in it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ModeWebsocket: poolvisor reads posts over the server's websocket.
const ModeWebsocket = "websocket"

// websocketPath is the server's websocket endpoint, under its URL.
const websocketPath = "/api/v4/websocket"

// The socket's bounds. A frame larger than maxFrameBytes ends the
// connection (gorilla refuses it before buffering it): a post holds at
// most maxPostChars characters, four bytes each, plus its props.
const (
	maxFrameBytes   = 256 << 10
	handshakeWait   = 10 * time.Second
	writeWait       = 10 * time.Second
	pingEvery       = 30 * time.Second
	minReconnect    = time.Second
	maxReconnect    = 2 * time.Minute
	maxWSConcurrent = 8 // commands from the socket run at most this many at once
)

// botUser is the bot's own account, from GET /api/v4/users/me: its posts
// are never commands, and a mention of its username addresses it.
type botUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// meAPI is the one extra call websocket mode makes; the REST client has
// it, and an API given WithAPI may.
type meAPI interface {
	Me(ctx context.Context) (botUser, error)
}

// Me asks the server who the bot token belongs to.
func (c *restClient) Me(ctx context.Context) (botUser, error) {
	var me botUser
	err := c.call(ctx, "users.me", http.MethodGet, "/api/v4/users/me", nil, &me, true)
	if err == nil && !idRE.MatchString(me.ID) {
		err = fmt.Errorf("mattermost users.me: %q is not a user ID", me.ID)
	}
	return me, err
}

// websocketURL is the socket of the server at base: ws for http, wss for
// https, under the server's path (a server may live under a prefix).
func websocketURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("mattermost: url %q is not http(s)", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + websocketPath
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// runWebsocket holds the connection until ctx ends, connecting again
// after each loss with a capped, jittered backoff.
func (a *Adapter) runWebsocket(ctx context.Context) error {
	target, err := websocketURL(a.cfg.URL)
	if err != nil {
		return err
	}
	failures := 0
	for {
		up, err := a.connectOnce(ctx, target)
		a.ws.Down(err)
		if ctx.Err() != nil {
			return nil
		}
		if up {
			failures = 0
		} else {
			failures++
		}
		wait := a.ws.backoff(failures)
		a.log.Warn("mattermost: websocket connection ended; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// wsMessage is anything the server sends: an event, or the reply to an
// action of the client's.
type wsMessage struct {
	Event    string          `json:"event"`
	Data     json.RawMessage `json:"data"`
	Seq      int64           `json:"seq"`
	Status   string          `json:"status"`
	SeqReply int64           `json:"seq_reply"`
	Error    *struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"error"`
}

// errAuthRefused is the server refusing the bot token in the challenge.
var errAuthRefused = errors.New("mattermost: the websocket refused the bot token")

// connectOnce dials, authenticates and reads until the connection ends.
// It reports whether it got as far as an authenticated connection.
func (a *Adapter) connectOnce(ctx context.Context, target string) (bool, error) {
	me, err := a.me(ctx)
	if err != nil {
		a.observe("websocket.connect", true)
		return false, err
	}
	conn, resp, err := a.ws.dialer.DialContext(ctx, target, nil)
	if err != nil {
		a.observe("websocket.connect", true)
		if resp != nil {
			return false, fmt.Errorf("mattermost websocket: HTTP %d: %w", resp.StatusCode, err)
		}
		return false, fmt.Errorf("mattermost websocket: %w", err)
	}
	defer conn.Close()
	conn.SetReadLimit(maxFrameBytes)
	// The read deadline moves on at every frame and pong: a connection
	// silent for two pings is dead, even when TCP does not notice.
	deadline := func() error { return conn.SetReadDeadline(time.Now().Add(2 * a.ws.pingEvery)) }
	conn.SetPongHandler(func(string) error { return deadline() })
	if err := deadline(); err != nil {
		return false, err
	}
	stop := context.AfterFunc(ctx, func() {
		// Unblock the read; the close frame is a courtesy.
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = conn.Close()
	})
	defer stop()

	var wmu sync.Mutex // gorilla allows one writer at a time
	write := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteJSON(v)
	}
	const authSeq = 1
	if err := write(map[string]any{"seq": authSeq, "action": "authentication_challenge", "data": map[string]string{"token": a.cfg.BotToken}}); err != nil {
		a.observe("websocket.connect", true)
		return false, fmt.Errorf("mattermost websocket: %w", err)
	}
	authed := false
	pingDone := make(chan struct{})
	defer close(pingDone)
	for {
		var m wsMessage
		if err := conn.ReadJSON(&m); err != nil {
			if !authed {
				a.observe("websocket.connect", true)
			}
			return authed, fmt.Errorf("mattermost websocket: %w", err)
		}
		if err := deadline(); err != nil {
			return authed, err
		}
		switch {
		case m.SeqReply == authSeq && m.Event == "":
			if m.Status != "OK" {
				a.observe("websocket.connect", true)
				return false, errAuthRefused
			}
			authed = true
			a.observe("websocket.connect", false)
			a.ws.Up()
			a.log.Info("mattermost: websocket connected", "bot", me.Username)
			go a.ping(conn, &wmu, pingDone)
		case m.Event == "posted" && authed:
			a.posted(ctx, me, m.Data)
			// posted may have waited for a free slot: the silence was
			// ours, not the server's.
			if err := deadline(); err != nil {
				return authed, err
			}
		}
	}
}

// ping keeps the connection alive (and proves it is) until done.
func (a *Adapter) ping(conn *websocket.Conn, wmu *sync.Mutex, done <-chan struct{}) {
	t := time.NewTicker(a.ws.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			wmu.Lock()
			err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait))
			wmu.Unlock()
			if err != nil {
				_ = conn.Close() // the read loop sees it and reconnects
				return
			}
		}
	}
}

// me is the bot's account, asked of the server at each connection (a
// token may have been moved to another bot).
func (a *Adapter) me(ctx context.Context) (botUser, error) {
	m, ok := a.api.(meAPI)
	if !ok {
		return botUser{}, errors.New("mattermost: this API client cannot tell who the bot is (users/me)")
	}
	return m.Me(ctx)
}

func (a *Adapter) observe(route string, failed bool) {
	if a.cfg.Observe != nil {
		a.cfg.Observe(route, failed, false)
	}
}
