// Package posted remembers where a chat adapter posted each approval
// request, so that a decision (by button or typed) replaces the buttons on
// every copy. Given a Store on the embedded database, the entries outlive
// the process: a decision after `serve` restarts still finds every copy.
// Without one (tests) they live in memory. The same rows keep what a
// button stands for when the platform cannot carry it in the button itself
// (Discord's 100-character custom_id): a form plan's command, taken once,
// and an alert's action, read as often as it is pressed.
//
// A reference is kept as JSON, so only the exported fields of R survive;
// the in-memory store encodes them too, so that tests see what a restart
// would.
package posted

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Memory is how long posted requests are remembered; far longer than any
// approval TTL.
const Memory = 24 * time.Hour

// Tracker maps approval IDs to the messages (of type R, the platform's
// message reference) that carry them.
type Tracker[R any] struct {
	rows     rows
	platform string
	now      func() time.Time
	memory   time.Duration
}

// rows is where a Tracker keeps its entries: a Store, or memory.
type rows interface {
	// add records ref (JSON) for approval id until expires, forgetting
	// what expired by now.
	add(ctx context.Context, platform, id string, ref []byte, expires, now time.Time) error
	// take returns and forgets the unexpired refs of approval id, oldest
	// first. Of concurrent takes of the same id, one gets them all.
	take(ctx context.Context, platform, id string, now time.Time) ([][]byte, error)
	// get returns the unexpired refs of id, oldest first, keeping them.
	get(ctx context.Context, platform, id string, now time.Time) ([][]byte, error)
}

// New returns a Tracker on the clock now that keeps its entries in s, as
// platform's (which keeps one adapter's rows apart from another's), or in
// memory when s is nil.
func New[R any](s *Store, platform string, now func() time.Time) *Tracker[R] {
	t := &Tracker[R]{platform: platform, now: now, memory: Memory}
	if s != nil {
		t.rows = s
	} else {
		t.rows = newMemStore()
	}
	return t
}

// For returns a Tracker on the same rows that keeps what it adds for d
// instead of Memory: an alert's button outlives any approval.
func (t *Tracker[R]) For(d time.Duration) *Tracker[R] {
	c := *t
	c.memory = d
	return &c
}

// Add records that approval id was posted as ref, forgetting expired entries.
func (t *Tracker[R]) Add(ctx context.Context, id string, ref R) error {
	raw, err := json.Marshal(ref)
	if err != nil {
		return fmt.Errorf("encode where approval %s was posted: %w", id, err)
	}
	now := t.now()
	if err := t.rows.add(ctx, t.platform, id, raw, now.Add(t.memory), now); err != nil {
		return fmt.Errorf("remember where approval %s was posted: %w", id, err)
	}
	return nil
}

// Take returns and forgets where approval id was posted, in the order
// posted. Of two concurrent Takes (in this process or another on the same
// database), only one gets the references. A reference that no longer
// decodes is left out and reported in the error, with the others returned.
func (t *Tracker[R]) Take(ctx context.Context, id string) ([]R, error) {
	raws, err := t.rows.take(ctx, t.platform, id, t.now())
	if err != nil {
		return nil, fmt.Errorf("recall where approval %s was posted: %w", id, err)
	}
	return decode[R](id, raws)
}

// Get returns what was added under id and has not expired, in the order
// added, keeping it: for what may be read more than once.
func (t *Tracker[R]) Get(ctx context.Context, id string) ([]R, error) {
	raws, err := t.rows.get(ctx, t.platform, id, t.now())
	if err != nil {
		return nil, fmt.Errorf("recall what was kept under %s: %w", id, err)
	}
	return decode[R](id, raws)
}

func decode[R any](id string, raws [][]byte) ([]R, error) {
	var refs []R
	var errs []error
	for _, raw := range raws {
		var ref R
		if err := json.Unmarshal(raw, &ref); err != nil {
			errs = append(errs, fmt.Errorf("decode where approval %s was posted: %w", id, err))
			continue
		}
		refs = append(refs, ref)
	}
	return refs, errors.Join(errs...)
}
