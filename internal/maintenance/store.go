// Package maintenance keeps maintenance windows and timed mutes. A window
// holds a host's alerts back (and with freeze, refuses writes of those who
// cannot approve) until it ends; a mute silences one program's or pool's
// alerts until a time. Both live in the embedded database, so that they
// survive a restart and every poolvisor process of the host (serve, exec,
// console) sees the same ones; windows may also come from the config's
// weekly schedule (Schedule).
package maintenance

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
)

const schema = `
CREATE TABLE IF NOT EXISTS maintenance_windows (
	id      TEXT PRIMARY KEY,
	host    TEXT NOT NULL,     -- the host, group or all it covers
	started INTEGER NOT NULL,  -- unix nanoseconds
	ends    INTEGER NOT NULL,  -- unix nanoseconds; set to the stop time by a stop
	freeze  INTEGER NOT NULL,
	reason  TEXT NOT NULL,
	by      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS maintenance_mutes (
	host   TEXT NOT NULL,
	target TEXT NOT NULL,      -- a program, GROUP:* or a pool
	until  INTEGER NOT NULL,   -- unix nanoseconds
	by     TEXT NOT NULL,
	PRIMARY KEY (host, target)
);
`

// Window is one maintenance window.
type Window struct {
	ID     string    `json:"id"`
	Host   string    `json:"host"` // the host, group or all it covers
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Freeze bool      `json:"freeze"`
	Reason string    `json:"reason"`
	By     string    `json:"by"` // who started it; "schedule" for the config's
}

// Active reports whether w runs at t.
func (w Window) Active(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Mute is one program's or pool's alerts silenced until a time.
type Mute struct {
	Host   string    `json:"host"`
	Target string    `json:"target"`
	Until  time.Time `json:"until"`
	By     string    `json:"by"`
}

// Store keeps windows and mutes in the embedded database.
type Store struct {
	db       *sql.DB
	schedule []Schedule
	// Covers reports whether a window for target (a host, a group or all)
	// covers host; nil: target is host or all.
	covers func(target, host string) bool
}

// New prepares the tables in db. schedule are the config's weekly windows;
// covers says which hosts a window's target covers (a fleet hub's groups),
// nil for the plain rule: the host itself or all.
func New(ctx context.Context, db *sql.DB, schedule []Schedule, covers func(target, host string) bool) (*Store, error) {
	if _, err := db.ExecContext(ctx, schema+heldSchema); err != nil {
		return nil, fmt.Errorf("create maintenance tables: %w", err)
	}
	if covers == nil {
		covers = func(target, host string) bool { return target == host || target == "all" }
	}
	return &Store{db: db, schedule: schedule, covers: covers}, nil
}

// Start records w, giving it an ID.
func (s *Store) Start(ctx context.Context, w Window) (Window, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return Window{}, fmt.Errorf("window id: %w", err)
	}
	w.ID = "m" + hex.EncodeToString(b)
	_, err := s.db.ExecContext(ctx, `INSERT INTO maintenance_windows (id, host, started, ends, freeze, reason, by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.Host, w.Start.UnixNano(), w.End.UnixNano(), w.Freeze, w.Reason, w.By)
	if err != nil {
		return Window{}, fmt.Errorf("record maintenance window: %w", err)
	}
	return w, nil
}

// Stop ends, at now, the started windows for target that run at now, and
// returns them. The config's scheduled windows cannot be stopped.
func (s *Store) Stop(ctx context.Context, target string, now time.Time) ([]Window, error) {
	running, err := s.started(ctx, now)
	if err != nil {
		return nil, err
	}
	var out []Window
	for _, w := range running {
		if w.Host != target {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE maintenance_windows SET ends = ? WHERE id = ?`, now.UnixNano(), w.ID); err != nil {
			return out, fmt.Errorf("stop maintenance window %s: %w", w.ID, err)
		}
		w.End = now
		out = append(out, w)
	}
	return out, nil
}

// started returns the windows started by a command that run at now.
func (s *Store) started(ctx context.Context, now time.Time) ([]Window, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, host, started, ends, freeze, reason, by FROM maintenance_windows
		WHERE started <= ? AND ends > ? ORDER BY started`, now.UnixNano(), now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	defer rows.Close()
	var out []Window
	for rows.Next() {
		var w Window
		var start, end int64
		if err := rows.Scan(&w.ID, &w.Host, &start, &end, &w.Freeze, &w.Reason, &w.By); err != nil {
			return nil, fmt.Errorf("read maintenance window: %w", err)
		}
		w.Start, w.End = time.Unix(0, start), time.Unix(0, end)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	return out, nil
}

// Windows returns every window that runs at now: those started by a
// command, then the config's, for scheduled on host.
func (s *Store) Windows(ctx context.Context, host string, now time.Time) ([]Window, error) {
	out, err := s.started(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, sc := range s.schedule {
		if w, ok := sc.At(now); ok {
			w.Host = host
			out = append(out, w)
		}
	}
	return out, nil
}

// Covering returns the windows that run at now and cover host.
func (s *Store) Covering(ctx context.Context, host string, now time.Time) ([]Window, error) {
	all, err := s.Windows(ctx, host, now)
	if err != nil {
		return nil, err
	}
	var out []Window
	for _, w := range all {
		if s.covers(w.Host, host) {
			out = append(out, w)
		}
	}
	return out, nil
}

// Mute silences target on host until until; an until not after now ends
// the mute. It returns the mute it replaced, if one ran.
func (s *Store) Mute(ctx context.Context, m Mute, now time.Time) (old Mute, had bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Mute{}, false, fmt.Errorf("mute %s: %w", m.Target, err)
	}
	defer tx.Rollback()
	var until int64
	err = tx.QueryRowContext(ctx, `SELECT until, by FROM maintenance_mutes WHERE host = ? AND target = ?`, m.Host, m.Target).Scan(&until, &old.By)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return Mute{}, false, fmt.Errorf("mute %s: %w", m.Target, err)
	default:
		old.Host, old.Target, old.Until = m.Host, m.Target, time.Unix(0, until)
		had = old.Until.After(now)
	}
	if m.Until.After(now) {
		_, err = tx.ExecContext(ctx, `INSERT INTO maintenance_mutes (host, target, until, by) VALUES (?, ?, ?, ?)
			ON CONFLICT (host, target) DO UPDATE SET until = excluded.until, by = excluded.by`, m.Host, m.Target, m.Until.UnixNano(), m.By)
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM maintenance_mutes WHERE host = ? AND target = ?`, m.Host, m.Target)
	}
	if err != nil {
		return Mute{}, false, fmt.Errorf("mute %s: %w", m.Target, err)
	}
	if err := tx.Commit(); err != nil {
		return Mute{}, false, fmt.Errorf("mute %s: %w", m.Target, err)
	}
	return old, had, nil
}

// Mutes returns the mutes that run at now, soonest end first.
func (s *Store) Mutes(ctx context.Context, now time.Time) ([]Mute, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT host, target, until, by FROM maintenance_mutes WHERE until > ? ORDER BY until`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read mutes: %w", err)
	}
	defer rows.Close()
	var out []Mute
	for rows.Next() {
		var m Mute
		var until int64
		if err := rows.Scan(&m.Host, &m.Target, &until, &m.By); err != nil {
			return nil, fmt.Errorf("read mute: %w", err)
		}
		m.Until = time.Unix(0, until)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Muted reports whether any of names is muted on host at now, by a mute
// for host itself or for a target that covers it (all, a fleet hub's
// group).
func (s *Store) Muted(ctx context.Context, host string, names []string, now time.Time) (bool, error) {
	for _, n := range names {
		rows, err := s.db.QueryContext(ctx, `SELECT host FROM maintenance_mutes WHERE target = ? AND until > ?`, n, now.UnixNano())
		if err != nil {
			return false, fmt.Errorf("read mutes: %w", err)
		}
		var hosts []string
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return false, fmt.Errorf("read mute: %w", err)
			}
			hosts = append(hosts, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, fmt.Errorf("read mutes: %w", err)
		}
		for _, h := range hosts {
			if s.covers(h, host) {
				return true, nil
			}
		}
	}
	return false, nil
}

// Muter is the alert engine's view of the mutes of host.
func (s *Store) Muter(host string, log *slog.Logger) alert.Muter { return muter{s, host, log} }

type muter struct {
	s    *Store
	host string
	log  *slog.Logger
}

// Muted implements alert.Muter. When the mutes cannot be read, nothing is
// muted: a lost alert is worse than an unwanted one. While a window covers
// the host nothing is muted here either: the alert goes on to the Hold,
// which holds it anyway and counts it as muted in the window's summary.
func (m muter) Muted(names []string, t time.Time) bool {
	ctx := context.Background()
	if ws, err := m.s.Covering(ctx, m.host, t); err == nil && len(ws) > 0 {
		return false
	}
	ok, err := m.s.Muted(ctx, m.host, names, t)
	if err != nil {
		m.log.Warn("maintenance: could not read the mutes; alerts are posted", "err", err)
	}
	return ok
}
