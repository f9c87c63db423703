// Package dedupe remembers which deliveries poolvisor has already taken on,
// so that a chat platform's retries and double deliveries (Slack's
// X-Slack-Retry-Num, a repeated Socket Mode envelope, a button click
// delivered twice) are applied at most once. A key is claimed with one
// conditional INSERT on the embedded database, so of several concurrent
// claims of the same key, in this process or another, exactly one wins.
package dedupe

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const schema = `
CREATE TABLE IF NOT EXISTS dedupe (
	key     TEXT PRIMARY KEY,
	claimed INTEGER NOT NULL -- unix nanoseconds
);
CREATE INDEX IF NOT EXISTS dedupe_claimed ON dedupe (claimed);
`

// DefaultTTL is how long a claim is remembered. Slack refuses requests
// signed more than five minutes ago and retries within minutes, so an hour
// covers every duplicate that can still arrive.
const DefaultTTL = time.Hour

// pruneEvery is how many claims pass between two prunes of expired keys.
const pruneEvery = 256

// Store is a set of claimed keys with an expiry, on SQLite.
type Store struct {
	db     *sql.DB
	ttl    time.Duration
	now    func() time.Time
	claims chan struct{} // a token per claim since the last prune
}

// Option configures a Store.
type Option func(*Store)

// WithTTL sets how long a claim is remembered (default DefaultTTL).
func WithTTL(d time.Duration) Option { return func(s *Store) { s.ttl = d } }

// WithClock sets the clock (default time.Now), for tests.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New prepares the dedupe table in db.
func New(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create dedupe table: %w", err)
	}
	s := &Store{db: db, ttl: DefaultTTL, now: time.Now, claims: make(chan struct{}, pruneEvery)}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Claim records key and reports whether this call was the first to claim it
// within the TTL. An expired claim may be claimed again.
func (s *Store) Claim(ctx context.Context, key string) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO dedupe (key, claimed) VALUES (?, ?)
		 ON CONFLICT (key) DO UPDATE SET claimed = excluded.claimed
		 WHERE dedupe.claimed <= ?`,
		key, now.UnixNano(), now.Add(-s.ttl).UnixNano())
	if err != nil {
		return false, fmt.Errorf("claim %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %q: %w", key, err)
	}
	s.maybePrune(ctx)
	return n == 1, nil
}

// maybePrune removes expired keys once every pruneEvery claims, so the table
// stays small without a timer of its own.
func (s *Store) maybePrune(ctx context.Context) {
	select {
	case s.claims <- struct{}{}:
		return
	default:
	}
	for len(s.claims) > 0 {
		<-s.claims
	}
	_, _ = s.Prune(ctx) // best effort: an unpruned key only takes space
}

// Prune removes expired claims and returns how many it removed.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM dedupe WHERE claimed <= ?`, s.now().Add(-s.ttl).UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune dedupe keys: %w", err)
	}
	return res.RowsAffected()
}
