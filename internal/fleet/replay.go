package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// replayCache remembers message IDs until they expire, so that each is
// taken once.
type replayCache interface {
	// firstTime records id until expires and reports whether it is new.
	firstTime(ctx context.Context, id string, expires, now time.Time) (bool, error)
}

// memoryReplays is a replayCache in memory, bounded by the IDs' lifetime
// (and by limit, when set: beyond it, new IDs are refused rather than the
// memory grown).
type memoryReplays struct {
	limit int

	mu   sync.Mutex
	seen map[string]time.Time
}

func newMemoryReplays(limit int) *memoryReplays {
	return &memoryReplays{limit: limit, seen: map[string]time.Time{}}
}

func (m *memoryReplays) firstTime(_ context.Context, id string, expires, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, until := range m.seen {
		if !now.Before(until) {
			delete(m.seen, k)
		}
	}
	if _, dup := m.seen[id]; dup {
		return false, nil
	}
	if m.limit > 0 && len(m.seen) >= m.limit {
		return false, fmt.Errorf("more than %d messages within their lifetime", m.limit)
	}
	m.seen[id] = expires
	return true, nil
}

// ReplayCache is an agent's record of the requests it has run, kept in its
// database until each request's deadline, so that a request played back
// after the agent restarted is refused as it would have been before.
type ReplayCache struct{ db *sql.DB }

const replaySchema = `
CREATE TABLE IF NOT EXISTS fleet_seen_requests (
	id       TEXT PRIMARY KEY,
	deadline INTEGER NOT NULL -- unix nanoseconds
);
CREATE INDEX IF NOT EXISTS fleet_seen_requests_deadline ON fleet_seen_requests (deadline);
`

// NewReplayCache prepares the replay cache's table in db.
func NewReplayCache(ctx context.Context, db *sql.DB) (*ReplayCache, error) {
	if _, err := db.ExecContext(ctx, replaySchema); err != nil {
		return nil, fmt.Errorf("create fleet_seen_requests table: %w", err)
	}
	return &ReplayCache{db: db}, nil
}

// firstTime records id; the row is written (and the write committed)
// before the request runs. Expired IDs are pruned on the way: a request
// past its deadline is refused before it gets here.
func (r *ReplayCache) firstTime(ctx context.Context, id string, expires, now time.Time) (bool, error) {
	// The caller's context may be about to end; the record must not be
	// half made because of it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := r.db.ExecContext(ctx, `DELETE FROM fleet_seen_requests WHERE deadline <= ?`, now.UnixNano()); err != nil {
		return false, fmt.Errorf("prune seen requests: %w", err)
	}
	res, err := r.db.ExecContext(ctx, `INSERT INTO fleet_seen_requests (id, deadline) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
		id, expires.UnixNano())
	if err != nil {
		return false, fmt.Errorf("record request: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record request: %w", err)
	}
	return n == 1, nil
}
