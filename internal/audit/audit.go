// Package audit records who did what, when, and how it ended: every request,
// including denied, invalid and pending ones, and every approval decision.
// Entries live in the embedded database (for /ops audit) and are mirrored to
// an append-only JSON-lines file for log shippers. The same store keeps the
// journal of writes in progress (journal.go), so that a write and its
// started entry are recorded together, before any file is touched.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

const schema = `
CREATE TABLE IF NOT EXISTS audit (
	id    INTEGER PRIMARY KEY AUTOINCREMENT,
	time  INTEGER NOT NULL, -- unix nanoseconds
	entry TEXT NOT NULL     -- JSON of ops.AuditEntry
);
CREATE TABLE IF NOT EXISTS writes (
	id     INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: entries name it as "write"
	owner  TEXT NOT NULL, -- the lease of the process applying it
	intent TEXT NOT NULL  -- JSON: who, the started entry, the files' bytes before and after
);
`

// Log is an ops.AuditLog.
type Log struct {
	db       *sql.DB
	jsonPath string
	mu       sync.Mutex // serialises appends from this process; O_APPEND covers others
}

var _ ops.AuditLog = (*Log)(nil)

// New prepares the audit table in db and mirrors entries to jsonPath
// (no mirror when it is empty).
func New(ctx context.Context, db *sql.DB, jsonPath string) (*Log, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create audit table: %w", err)
	}
	return &Log{db: db, jsonPath: jsonPath}, nil
}

// Record implements ops.AuditLog.
func (l *Log) Record(ctx context.Context, e ops.AuditEntry) error {
	e, err := insert(ctx, l.db, e)
	if err != nil {
		return err
	}
	return l.mirror(e)
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// insert adds e to the audit table and returns it with its id.
func insert(ctx context.Context, db execer, e ops.AuditEntry) (ops.AuditEntry, error) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	body, err := json.Marshal(e)
	if err != nil {
		return e, fmt.Errorf("encode audit entry: %w", err)
	}
	res, err := db.ExecContext(ctx, `INSERT INTO audit (time, entry) VALUES (?, ?)`, e.Time.UnixNano(), string(body))
	if err != nil {
		return e, fmt.Errorf("insert audit entry: %w", err)
	}
	if id, err := res.LastInsertId(); err == nil {
		e.ID = id
	}
	return e, nil
}

// mirror appends e to the JSON-lines file.
func (l *Log) mirror(e ops.AuditEntry) error {
	if l.jsonPath == "" {
		return nil
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	return l.appendLine(append(body, '\n'))
}

func (l *Log) appendLine(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.jsonPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit file: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("append to audit file: %w", err)
	}
	return f.Close()
}

// Recent implements ops.AuditLog: the last n entries, oldest first. The
// started entry of a write that has ended is left out: the entry of its
// outcome (or interrupted) follows it and says all it said. The JSON-lines
// mirror keeps both.
func (l *Log) Recent(ctx context.Context, n int) ([]ops.AuditEntry, error) {
	return l.last(ctx, time.Time{}, n)
}

var _ ops.AuditSince = (*Log)(nil)

// MaxExport bounds how many entries one Since returns, whatever the limit
// asked: an export of years of a busy host would otherwise be held in
// memory at once. Older entries are in the archives Prune writes.
const MaxExport = 100_000

// Since implements ops.AuditSince: the last limit entries (at most
// MaxExport) recorded at or after t, oldest first, leaving out what
// Recent leaves out.
func (l *Log) Since(ctx context.Context, t time.Time, limit int) ([]ops.AuditEntry, error) {
	return l.last(ctx, t, min(limit, MaxExport))
}

// last reads the last n entries at or after since (all times when it is
// zero), oldest first.
func (l *Log) last(ctx context.Context, since time.Time, n int) ([]ops.AuditEntry, error) {
	from := int64(0)
	if !since.IsZero() {
		from = since.UnixNano()
	}
	rows, err := l.db.QueryContext(ctx, `SELECT id, entry FROM audit
		WHERE time >= ? AND (json_extract(entry, '$.status') != 'started' OR json_extract(entry, '$.write') IN (SELECT id FROM writes))
		ORDER BY id DESC LIMIT ?`, from, n)
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	defer rows.Close()
	var out []ops.AuditEntry
	for rows.Next() {
		var (
			id   int64
			body string
			e    ops.AuditEntry
		)
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("read audit entry: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("decode audit entry %d: %w", id, err)
		}
		e.ID = id
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
