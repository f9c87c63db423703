package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/poolvisor/poolvisor/internal/ops"
)

var _ ops.Journal = (*Log)(nil)

// intent is an ops.Intent as the writes table keeps it.
type intent struct {
	Actor   ops.Actor      `json:"actor"`
	Entry   ops.AuditEntry `json:"entry"`
	Changes []change       `json:"changes"`
}

// change keeps nil (no file) apart from empty, as JSON null and "".
type change struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	Before []byte `json:"before"`
	After  []byte `json:"after"`
}

// Begin implements ops.Journal. The transaction is committed with
// synchronous=FULL, so the intent is on disk, power loss included, before
// the caller writes the first byte of config. When the mirror file cannot
// be appended to, Begin returns the recorded intent's id with the error.
func (l *Log) Begin(ctx context.Context, in ops.Intent) (int64, error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin write: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return 0, fmt.Errorf("begin write: %w", err)
	}
	defer func() {
		// Back to the pool's setting; a connection left at FULL is only slower.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`)
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin write: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO writes (owner, intent) VALUES (?, '')`, in.Owner)
	if err != nil {
		return 0, fmt.Errorf("record write: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record write: %w", err)
	}
	in.Entry.Write = id
	st := intent{Actor: in.Actor, Entry: in.Entry}
	for _, c := range in.Changes {
		st.Changes = append(st.Changes, change{Kind: c.Kind, Name: c.Name, Path: c.Path, Before: c.Before, After: c.After})
	}
	body, err := json.Marshal(st)
	if err != nil {
		return 0, fmt.Errorf("encode write: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE writes SET intent = ? WHERE id = ?`, string(body), id); err != nil {
		return 0, fmt.Errorf("record write: %w", err)
	}
	e, err := insert(ctx, tx, in.Entry)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record write: %w", err)
	}
	return id, l.mirror(e)
}

// Finish implements ops.Journal. The entry is recorded even when the intent
// is gone (ErrNoIntent then): an outcome is never dropped.
func (l *Log) Finish(ctx context.Context, id int64, e ops.AuditEntry) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish write %d: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM writes WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("finish write %d: %w", id, err)
	}
	gone, _ := res.RowsAffected()
	e.Write = id
	if e, err = insert(ctx, tx, e); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish write %d: %w", id, err)
	}
	err = l.mirror(e)
	if gone == 0 {
		err = errors.Join(err, fmt.Errorf("write %d: %w", id, ops.ErrNoIntent))
	}
	return err
}

// Unfinished implements ops.Journal.
func (l *Log) Unfinished(ctx context.Context) ([]ops.Intent, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, owner, intent FROM writes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read unfinished writes: %w", err)
	}
	defer rows.Close()
	var out []ops.Intent
	for rows.Next() {
		var (
			in   ops.Intent
			body string
			st   intent
		)
		if err := rows.Scan(&in.ID, &in.Owner, &body); err != nil {
			return nil, fmt.Errorf("read unfinished write: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			return nil, fmt.Errorf("decode unfinished write %d: %w", in.ID, err)
		}
		in.Actor, in.Entry = st.Actor, st.Entry
		for _, c := range st.Changes {
			in.Changes = append(in.Changes, ops.FileChange{Kind: c.Kind, Name: c.Name, Path: c.Path, Before: c.Before, After: c.After})
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Claim implements ops.Journal.
func (l *Log) Claim(ctx context.Context, id int64, from, to string) (bool, error) {
	res, err := l.db.ExecContext(ctx, `UPDATE writes SET owner = ? WHERE id = ? AND owner = ?`, to, id, from)
	if err != nil {
		return false, fmt.Errorf("claim write %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
