package mattermost

import (
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// wsConn is the state of the websocket connection, for Health and the
// reconnection loop.
type wsConn struct {
	// pingEvery is how often the client pings; a connection silent for
	// twice as long is dead. Tests shorten it, and the backoff bounds.
	pingEvery        time.Duration
	minWait, maxWait time.Duration
	chat.Link
	// slots bound the commands from the socket that run at once.
	slots  chan struct{}
	dialer websocket.Dialer
}

func newWSConn() *wsConn {
	return &wsConn{
		pingEvery: pingEvery, minWait: minReconnect, maxWait: maxReconnect,
		slots:  make(chan struct{}, maxWSConcurrent),
		dialer: websocket.Dialer{HandshakeTimeout: handshakeWait, Proxy: http.ProxyFromEnvironment},
	}
}

// backoff is the wait after failures failed attempts in a row.
func (w *wsConn) backoff(failures int) time.Duration {
	return chat.Backoff(w.minWait, w.maxWait, failures)
}
