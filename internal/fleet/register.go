package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The hub's register of the hosts it has heard from, kept in its data
// directory, so that a host that is down is still named unreachable by a
// hub that started after it went down (an exec, a restarted serve) and
// not silently left out of `--host all`.

const registerSchema = `
CREATE TABLE IF NOT EXISTS fleet_hosts (
	host      TEXT PRIMARY KEY,
	version   TEXT NOT NULL,
	last_seen INTEGER NOT NULL -- unix nanoseconds
);
`

// ForgetAfter is how long a host that is never heard from again stays in
// the register: a decommissioned host stops being reported after it.
const ForgetAfter = 30 * 24 * time.Hour

// registerEvery bounds how often a host's heartbeat is written.
const registerEvery = time.Minute

// Register keeps the hosts a hub has heard from.
type Register struct{ db *sql.DB }

// NewRegister prepares the register's table in db.
func NewRegister(ctx context.Context, db *sql.DB) (*Register, error) {
	if _, err := db.ExecContext(ctx, registerSchema); err != nil {
		return nil, fmt.Errorf("create fleet_hosts table: %w", err)
	}
	return &Register{db: db}, nil
}

// remembered returns the hosts heard from since ForgetAfter, and drops the
// others.
func (r *Register) remembered(ctx context.Context, now time.Time) ([]seenHost, error) {
	cutoff := now.Add(-ForgetAfter).UnixNano()
	if _, err := r.db.ExecContext(ctx, `DELETE FROM fleet_hosts WHERE last_seen < ?`, cutoff); err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, `SELECT host, version, last_seen FROM fleet_hosts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []seenHost
	for rows.Next() {
		var s seenHost
		var at int64
		if err := rows.Scan(&s.Host, &s.Version, &at); err != nil {
			return nil, err
		}
		s.at = time.Unix(0, at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// saveAll writes the hosts of batch in one transaction: a thousand hosts
// heard from at once are one write to the disk, not a thousand.
func (r *Register) saveAll(ctx context.Context, batch map[string]seenHost) (err error) {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO fleet_hosts (host, version, last_seen) VALUES (?, ?, ?)
		 ON CONFLICT (host) DO UPDATE SET version = excluded.version, last_seen = excluded.last_seen`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for host, s := range batch {
		if _, err = stmt.ExecContext(ctx, host, s.Version, s.at.UnixNano()); err != nil {
			return err
		}
	}
	return tx.Commit()
}
