package mattermost

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is the state of the websocket connection, for Health and the
// reconnection loop.
type wsConn struct {
	// pingEvery is how often the client pings; a connection silent for
	// twice as long is dead. Tests shorten it, and the backoff bounds.
	pingEvery        time.Duration
	minWait, maxWait time.Duration
	connected        atomic.Bool
	mu               sync.Mutex
	lastErr          error
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

// backoff is the wait after failures failed attempts in a row: up to
// minWait after a connection that worked, then doubling to maxWait, each
// jittered so that bots do not all come back at once after an outage.
func (w *wsConn) backoff(failures int) time.Duration {
	d := w.minWait
	for i := 1; i < failures && d < w.maxWait; i++ {
		d *= 2
	}
	d = min(d, w.maxWait)
	if failures == 0 {
		return rand.N(d + 1)
	}
	return d/2 + rand.N(d/2+1)
}

// up records that the socket is authenticated.
func (w *wsConn) up() {
	w.mu.Lock()
	w.lastErr = nil
	w.mu.Unlock()
	w.connected.Store(true)
}

// down records that the socket ended, and why.
func (w *wsConn) down(err error) {
	w.connected.Store(false)
	if err == nil {
		err = errors.New("not connected")
	}
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
}

// status reports whether the socket is up and, when not, why.
func (w *wsConn) status() (bool, error) {
	if w.connected.Load() {
		return true, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastErr == nil {
		return false, errors.New("not connected yet")
	}
	return false, w.lastErr
}
