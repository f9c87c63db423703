// Package posted remembers where a chat adapter posted each approval
// request, so that a decision (by button or typed) replaces the buttons on
// every copy. It lives in memory: after a restart only the clicked message
// is updated.
package posted

import (
	"sync"
	"time"
)

// Memory is how long posted requests are remembered; far longer than any
// approval TTL.
const Memory = 24 * time.Hour

// Tracker maps approval IDs to the messages (of type R, the platform's
// message reference) that carry them.
type Tracker[R any] struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*entry[R]
}

type entry[R any] struct {
	refs    []R
	expires time.Time
}

// New returns an empty Tracker on the clock now.
func New[R any](now func() time.Time) *Tracker[R] {
	return &Tracker[R]{now: now, m: map[string]*entry[R]{}}
}

// Add records that approval id was posted as ref, forgetting expired entries.
func (t *Tracker[R]) Add(id string, ref R) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for k, e := range t.m {
		if now.After(e.expires) {
			delete(t.m, k)
		}
	}
	e, ok := t.m[id]
	if !ok {
		e = &entry[R]{expires: now.Add(Memory)}
		t.m[id] = e
	}
	e.refs = append(e.refs, ref)
}

// Take returns and forgets where approval id was posted.
func (t *Tracker[R]) Take(id string) []R {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[id]
	if !ok {
		return nil
	}
	delete(t.m, id)
	return e.refs
}
