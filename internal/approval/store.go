// Package approval keeps approval requests in the embedded database, where
// every poolvisor process on the host sees them and where they survive
// restarts. A decision is one conditional UPDATE, so of several concurrent
// decisions exactly one takes effect.
package approval

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

const schema = `
CREATE TABLE IF NOT EXISTS approvals (
	id          TEXT PRIMARY KEY,
	operation   TEXT NOT NULL,  -- JSON of ops.Operation
	requester   TEXT NOT NULL,  -- JSON of ops.Actor
	summary     TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	created     INTEGER NOT NULL, -- unix nanoseconds
	expires     INTEGER NOT NULL,
	state       TEXT NOT NULL,
	decider     TEXT,           -- JSON of ops.Actor
	decided_at  INTEGER,
	reason      TEXT NOT NULL DEFAULT '',
	outcome     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS approvals_state ON approvals (state, expires);
`

// Store is an ops.ApprovalStore on SQLite.
type Store struct {
	db *sql.DB
}

var _ ops.ApprovalStore = (*Store)(nil)

// New prepares the approvals table in db.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create approvals table: %w", err)
	}
	return &Store{db: db}, nil
}

// Create implements ops.ApprovalStore.
func (s *Store) Create(ctx context.Context, a ops.Approval) error {
	op, err := json.Marshal(a.Op)
	if err != nil {
		return fmt.Errorf("encode operation: %w", err)
	}
	req, err := json.Marshal(a.Requester)
	if err != nil {
		return fmt.Errorf("encode requester: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO approvals (id, operation, requester, summary, fingerprint, created, expires, state)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, string(op), string(req), a.Summary, a.Fingerprint,
		a.Created.UnixNano(), a.Expires.UnixNano(), string(ops.ApprovalPending))
	if err != nil {
		return fmt.Errorf("insert approval %s: %w", a.ID, err)
	}
	return nil
}

// Get implements ops.ApprovalStore.
func (s *Store) Get(ctx context.Context, id string) (ops.Approval, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM approvals WHERE id = ?`, id)
	a, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ops.Approval{}, ops.ErrNotFound
	}
	return a, err
}

// Decide implements ops.ApprovalStore. The WHERE clause is the claim: only a
// pending, unexpired row changes, and SQLite serialises writers, so exactly
// one of several concurrent decisions sees a changed row.
func (s *Store) Decide(ctx context.Context, id string, state ops.ApprovalState, by ops.Actor, reason string, now time.Time) (ops.Approval, error) {
	dec, err := json.Marshal(by)
	if err != nil {
		return ops.Approval{}, fmt.Errorf("encode decider: %w", err)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE approvals SET state = ?, decider = ?, decided_at = ?, reason = ?
		 WHERE id = ? AND state = 'pending' AND expires > ?`,
		string(state), string(dec), now.UnixNano(), reason, id, now.UnixNano())
	if err != nil {
		return ops.Approval{}, fmt.Errorf("decide approval %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return ops.Approval{}, fmt.Errorf("decide approval %s: %w", id, err)
	}
	if n == 1 {
		return s.Get(ctx, id)
	}
	// Lost the claim: say why.
	if _, err := s.db.ExecContext(ctx,
		`UPDATE approvals SET state = 'expired' WHERE id = ? AND state = 'pending' AND expires <= ?`,
		id, now.UnixNano()); err != nil {
		return ops.Approval{}, fmt.Errorf("expire approval %s: %w", id, err)
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		return a, err
	}
	if a.State == ops.ApprovalExpired {
		return a, ops.ErrExpired
	}
	return a, ops.ErrDecided
}

// Finish implements ops.ApprovalStore.
func (s *Store) Finish(ctx context.Context, id string, outcome ops.Status) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE approvals SET outcome = ? WHERE id = ?`, string(outcome), id); err != nil {
		return fmt.Errorf("record outcome of approval %s: %w", id, err)
	}
	return nil
}

// Pending implements ops.ApprovalStore, oldest first.
func (s *Store) Pending(ctx context.Context, now time.Time) ([]ops.Approval, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+columns+` FROM approvals WHERE state = 'pending' AND expires > ? ORDER BY created`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	defer rows.Close()
	var list []ops.Approval
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

const columns = `id, operation, requester, summary, fingerprint, created, expires, state, decider, decided_at, reason, outcome`

func scan(row interface{ Scan(...any) error }) (ops.Approval, error) {
	var (
		a                ops.Approval
		op, req, state   string
		created, expires int64
		decider          sql.NullString
		decidedAt        sql.NullInt64
		outcome          string
	)
	if err := row.Scan(&a.ID, &op, &req, &a.Summary, &a.Fingerprint, &created, &expires, &state,
		&decider, &decidedAt, &a.Reason, &outcome); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(op), &a.Op); err != nil {
		return a, fmt.Errorf("decode operation of approval %s: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(req), &a.Requester); err != nil {
		return a, fmt.Errorf("decode requester of approval %s: %w", a.ID, err)
	}
	if decider.Valid {
		var d ops.Actor
		if err := json.Unmarshal([]byte(decider.String), &d); err != nil {
			return a, fmt.Errorf("decode decider of approval %s: %w", a.ID, err)
		}
		a.Decider = &d
	}
	if decidedAt.Valid {
		a.DecidedAt = time.Unix(0, decidedAt.Int64)
	}
	a.Created, a.Expires = time.Unix(0, created), time.Unix(0, expires)
	a.State, a.Outcome = ops.ApprovalState(state), ops.Status(outcome)
	return a, nil
}
