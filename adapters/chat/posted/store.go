package posted

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

const schema = `
CREATE TABLE IF NOT EXISTS posted_messages (
	seq         INTEGER PRIMARY KEY, -- the order posted
	platform    TEXT NOT NULL,
	approval_id TEXT NOT NULL,
	ref_json    TEXT NOT NULL,
	expires     INTEGER NOT NULL     -- unix nanoseconds
);
CREATE INDEX IF NOT EXISTS posted_messages_approval ON posted_messages (platform, approval_id);
CREATE INDEX IF NOT EXISTS posted_messages_expires ON posted_messages (expires);
`

// Store keeps every platform's Trackers' entries in the embedded database
// (internal/sqlitedb), which `serve` and its successor share.
type Store struct {
	db *sql.DB
}

var _ rows = (*Store)(nil)

// Open prepares the posted_messages table in db.
func Open(ctx context.Context, db *sql.DB) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create posted_messages table: %w", err)
	}
	return &Store{db: db}, nil
}

// add prunes what expired, whichever platform's (an adapter since disabled
// leaves rows behind), then inserts. Requests are posted rarely, so the
// prune costs little and needs no timer.
func (s *Store) add(ctx context.Context, platform, id string, ref []byte, expires, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM posted_messages WHERE expires <= ?`, now.UnixNano()); err != nil {
		return fmt.Errorf("prune posted messages: %w", err)
	}
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO posted_messages (platform, approval_id, ref_json, expires) VALUES (?, ?, ?, ?)`,
		platform, id, string(ref), expires.UnixNano()); err != nil {
		return fmt.Errorf("insert posted message: %w", err)
	}
	return nil
}

// take deletes the rows of approval id and returns them in one statement,
// so that of two concurrent takes (of two processes, say) exactly one gets
// them. Expired rows go too, without being returned.
func (s *Store) take(ctx context.Context, platform, id string, now time.Time) ([][]byte, error) {
	rs, err := s.db.QueryContext(ctx,
		`DELETE FROM posted_messages WHERE platform = ? AND approval_id = ?
		 RETURNING seq, ref_json, expires`, platform, id)
	if err != nil {
		return nil, fmt.Errorf("take posted messages: %w", err)
	}
	defer rs.Close()
	type row struct {
		seq     int64
		ref     string
		expires int64
	}
	var got []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.seq, &r.ref, &r.expires); err != nil {
			return nil, fmt.Errorf("take posted messages: %w", err)
		}
		if r.expires > now.UnixNano() {
			got = append(got, r)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("take posted messages: %w", err)
	}
	// SQLite returns the rows of RETURNING in no promised order.
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
	raws := make([][]byte, 0, len(got))
	for _, r := range got {
		raws = append(raws, []byte(r.ref))
	}
	return raws, nil
}

// get returns the unexpired rows of id, oldest first, leaving them.
func (s *Store) get(ctx context.Context, platform, id string, now time.Time) ([][]byte, error) {
	rs, err := s.db.QueryContext(ctx,
		`SELECT ref_json FROM posted_messages WHERE platform = ? AND approval_id = ? AND expires > ? ORDER BY seq`,
		platform, id, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read posted messages: %w", err)
	}
	defer rs.Close()
	var raws [][]byte
	for rs.Next() {
		var ref string
		if err := rs.Scan(&ref); err != nil {
			return nil, fmt.Errorf("read posted messages: %w", err)
		}
		raws = append(raws, []byte(ref))
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read posted messages: %w", err)
	}
	return raws, nil
}
