// Package history keeps every version of the config files poolvisor writes,
// with who made it and through which operation and approval, so that any
// change can be seen as a diff and taken back. A file changed by hand between
// two writes is recorded too, as a version made outside poolvisor.
package history

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Outside is the author of versions found on disk rather than written by poolvisor.
const Outside = "outside poolvisor"

// DefaultKeep is how many versions of each file are kept.
const DefaultKeep = 50

const schema = `
CREATE TABLE IF NOT EXISTS versions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	name        TEXT NOT NULL,
	path        TEXT NOT NULL,
	n           INTEGER NOT NULL,  -- version number, per path, from 1
	content     BLOB,              -- NULL: the file did not exist (deleted)
	time        INTEGER NOT NULL,  -- unix nanoseconds
	actor       TEXT NOT NULL,
	operation   TEXT NOT NULL,
	approval_id TEXT NOT NULL DEFAULT '',
	approver    TEXT NOT NULL DEFAULT '',
	UNIQUE (path, n)
);
CREATE INDEX IF NOT EXISTS versions_name ON versions (kind, name, n);
`

// Version is one recorded state of a file.
type Version struct {
	N          int       `json:"version"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	Content    []byte    `json:"-"` // nil: the file did not exist
	Deleted    bool      `json:"deleted"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Operation  string    `json:"operation"`
	ApprovalID string    `json:"approval_id,omitempty"`
	Approver   string    `json:"approver,omitempty"`
}

// Store is an ops.History on SQLite.
type Store struct {
	db   *sql.DB
	keep int
	now  func() time.Time
}

var _ ops.History = (*Store)(nil)

// ErrNoVersion is returned for a version that was never recorded (or was pruned).
var ErrNoVersion = errors.New("no such version")

// New prepares the versions table in db; keep bounds the versions of each file.
func New(ctx context.Context, db *sql.DB, keep int) (*Store, error) {
	if keep < 2 {
		keep = DefaultKeep
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("create versions table: %w", err)
	}
	return &Store{db: db, keep: keep, now: time.Now}, nil
}

// Record implements ops.History.
func (s *Store) Record(ctx context.Context, c ops.FileChange, meta ops.VersionMeta) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record version of %s: %w", c.Path, err)
	}
	defer tx.Rollback()
	last, found, err := latest(ctx, tx, c.Path)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	n := last.N
	// What was on disk before this write differs from what poolvisor last
	// wrote (or poolvisor never wrote it): keep that state as a version.
	if (found && !same(last.Content, c.Before)) || (!found && c.Before != nil) {
		n++
		if err := insert(ctx, tx, Version{N: n, Kind: c.Kind, Name: c.Name, Path: c.Path, Content: c.Before,
			Time: now.Add(-time.Nanosecond), Actor: Outside, Operation: "edit by hand"}); err != nil {
			return err
		}
	} else if found && last.Name != c.Name && c.Before != nil {
		// A file shared by several programs or pools, last written for
		// another one: keep the state this one is changed from under its
		// own name too, so that its history can go back to it.
		mine, err := query(ctx, tx, `WHERE path = ? AND kind = ? AND name = ? ORDER BY n DESC LIMIT 1`, c.Path, c.Kind, c.Name)
		if err != nil {
			return err
		}
		if len(mine) == 0 || !same(mine[0].Content, c.Before) {
			n++
			if err := insert(ctx, tx, Version{N: n, Kind: c.Kind, Name: c.Name, Path: c.Path, Content: c.Before,
				Time: now.Add(-time.Nanosecond), Actor: last.Actor, Operation: last.Operation + " of " + last.Name,
				ApprovalID: last.ApprovalID, Approver: last.Approver}); err != nil {
				return err
			}
		}
	}
	n++
	if err := insert(ctx, tx, Version{N: n, Kind: c.Kind, Name: c.Name, Path: c.Path, Content: c.After, Time: now,
		Actor: meta.Actor.String(), Operation: meta.Operation, ApprovalID: meta.ApprovalID, Approver: meta.Approver}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM versions WHERE path = ? AND n <= ?`, c.Path, n-s.keep); err != nil {
		return fmt.Errorf("prune versions of %s: %w", c.Path, err)
	}
	return tx.Commit()
}

// Latest implements ops.History.
func (s *Store) Latest(ctx context.Context, path string) ([]byte, bool, error) {
	v, found, err := latest(ctx, s.db, path)
	return v.Content, found, err
}

func same(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func insert(ctx context.Context, tx *sql.Tx, v Version) error {
	var content any
	if v.Content != nil {
		content = v.Content
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO versions (kind, name, path, n, content, time, actor, operation, approval_id, approver)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Kind, v.Name, v.Path, v.N, content, v.Time.UnixNano(), v.Actor, v.Operation, v.ApprovalID, v.Approver)
	if err != nil {
		return fmt.Errorf("insert version %d of %s: %w", v.N, v.Path, err)
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

const columns = `kind, name, path, n, content, time, actor, operation, approval_id, approver`

func latest(ctx context.Context, q querier, path string) (Version, bool, error) {
	list, err := query(ctx, q, `WHERE path = ? ORDER BY n DESC LIMIT 1`, path)
	if err != nil || len(list) == 0 {
		return Version{}, false, err
	}
	return list[0], true, nil
}

func query(ctx context.Context, q querier, where string, args ...any) ([]Version, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM versions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var t int64
		if err := rows.Scan(&v.Kind, &v.Name, &v.Path, &v.N, &v.Content, &t, &v.Actor, &v.Operation, &v.ApprovalID, &v.Approver); err != nil {
			return nil, fmt.Errorf("read version: %w", err)
		}
		v.Time, v.Deleted = time.Unix(0, t), v.Content == nil
		out = append(out, v)
	}
	return out, rows.Err()
}

// List returns the kept versions of the named program or pool, oldest first.
// Versions are numbered per file; a program that moved from one file to
// another (deleted from a shared file, added again in one of its own) has
// versions of both, so the order is that of recording, not of numbers.
func (s *Store) List(ctx context.Context, kind, name string) ([]Version, error) {
	return query(ctx, s.db, `WHERE kind = ? AND name = ? ORDER BY id`, kind, name)
}

// Get returns version n of the named program or pool.
func (s *Store) Get(ctx context.Context, kind, name string, n int) (Version, error) {
	list, err := query(ctx, s.db, `WHERE kind = ? AND name = ? AND n = ? ORDER BY id DESC`, kind, name, n)
	if err != nil {
		return Version{}, err
	}
	if len(list) == 0 {
		return Version{}, ErrNoVersion
	}
	return list[0], nil
}
