package chat

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Link is the state of a connection a platform keeps open and opens again
// when it ends (Discord's Gateway, Mattermost's websocket): up or not,
// and why not, for /healthz.
type Link struct {
	connected atomic.Bool
	mu        sync.Mutex
	lastErr   error
}

// Up records that the connection is ready.
func (l *Link) Up() {
	l.mu.Lock()
	l.lastErr = nil
	l.mu.Unlock()
	l.connected.Store(true)
}

// Down records that the connection ended, and why.
func (l *Link) Down(err error) {
	l.connected.Store(false)
	if err == nil {
		err = errors.New("not connected")
	}
	l.mu.Lock()
	l.lastErr = err
	l.mu.Unlock()
}

// Status reports whether the connection is up and, when it is not, why.
func (l *Link) Status() (bool, error) {
	if l.connected.Load() {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastErr == nil {
		return false, errors.New("not connected yet")
	}
	return false, l.lastErr
}

// Backoff is the wait before reconnecting after failures attempts in a
// row that failed: up to least after a connection that worked, then
// doubling up to most, each jittered so that bots do not all come back
// at once after an outage.
func Backoff(least, most time.Duration, failures int) time.Duration {
	d := least
	for i := 1; i < failures && d < most; i++ {
		d *= 2
	}
	d = min(d, most)
	if failures == 0 {
		return rand.N(d + 1)
	}
	return d/2 + rand.N(d/2+1)
}
