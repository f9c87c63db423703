// Package runs keeps the long writes under way (rolling restarts, rolls
// across hosts) in the embedded database, where every poolvisor process on
// the host sees them: /ops cancel typed in chat reaches a roll that
// `poolvisor exec` started in a terminal, and the other way round. A cancel
// is one conditional UPDATE; the run reads it before its next step.
package runs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

const schema = `
CREATE TABLE IF NOT EXISTS runs (
	id           TEXT PRIMARY KEY,
	operation    TEXT NOT NULL,  -- JSON of ops.Operation
	requester    TEXT NOT NULL,  -- JSON of ops.Actor
	approver     TEXT NOT NULL DEFAULT '',
	started      INTEGER NOT NULL, -- unix nanoseconds
	pid          INTEGER NOT NULL, -- the process that runs it
	cancelled_by TEXT NOT NULL DEFAULT ''
);
`

// Store is an ops.RunStore on SQLite.
type Store struct {
	db  *sql.DB
	pid int
}

var _ ops.RunStore = (*Store)(nil)

// New prepares the runs table in db. Runs of processes that are gone (a
// roll whose process was killed) are forgotten.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create runs table: %w", err)
	}
	return &Store{db: db, pid: os.Getpid()}, nil
}

// Begin implements ops.RunStore.
func (s *Store) Begin(ctx context.Context, r ops.RunRecord) error {
	op, err := json.Marshal(r.Op.Redacted())
	if err != nil {
		return fmt.Errorf("encode operation: %w", err)
	}
	req, err := json.Marshal(r.Requester)
	if err != nil {
		return fmt.Errorf("encode requester: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO runs (id, operation, requester, approver, started, pid) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, string(op), string(req), r.Approver, r.Started.UnixNano(), s.pid)
	if err != nil {
		return fmt.Errorf("record run %s: %w", r.ID, err)
	}
	return nil
}

// End implements ops.RunStore.
func (s *Store) End(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id); err != nil {
		return fmt.Errorf("end run %s: %w", id, err)
	}
	return nil
}

// Get implements ops.RunStore. A run whose process is gone is forgotten
// and not found.
func (s *Store) Get(ctx context.Context, id string) (ops.RunRecord, error) {
	var (
		r       ops.RunRecord
		op, req string
		started int64
		pid     int
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT id, operation, requester, approver, started, pid, cancelled_by FROM runs WHERE id = ?`, id).
		Scan(&r.ID, &op, &req, &r.Approver, &started, &pid, &r.CancelledBy)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ops.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("read run %s: %w", id, err)
	}
	if !alive(pid) {
		_ = s.End(ctx, id)
		return ops.RunRecord{}, ops.ErrNotFound
	}
	if err := json.Unmarshal([]byte(op), &r.Op); err != nil {
		return r, fmt.Errorf("decode run %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(req), &r.Requester); err != nil {
		return r, fmt.Errorf("decode run %s: %w", id, err)
	}
	r.Started = time.Unix(0, started)
	return r, nil
}

// Cancel implements ops.RunStore: the first to cancel is recorded; a
// later cancel changes nothing and reports the first.
func (s *Store) Cancel(ctx context.Context, id, by string) (ops.RunRecord, bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET cancelled_by = ? WHERE id = ? AND cancelled_by = ''`, by, id)
	if err != nil {
		return ops.RunRecord{}, false, fmt.Errorf("cancel run %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return ops.RunRecord{}, false, fmt.Errorf("cancel run %s: %w", id, err)
	}
	r, err := s.Get(ctx, id)
	return r, n == 1, err
}

// alive reports whether process pid still runs on this host.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
