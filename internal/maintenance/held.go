package maintenance

import (
	"context"
	"fmt"
)

// The alerts a window holds back are counted in the database rather than
// in serve's memory, so that the summary at the window's end survives a
// restart of serve. Each row is one kind of trouble ("program STATE") on
// one host, for one notifier (sink: a chat platform, each of which gets
// its own summary), and whether a mute silenced it besides.
const heldSchema = `
CREATE TABLE IF NOT EXISTS maintenance_held (
	sink  TEXT NOT NULL,
	host  TEXT NOT NULL,
	key   TEXT NOT NULL,
	muted INTEGER NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (sink, host, key, muted)
);
`

// Held is a count of one kind of trouble a window held back.
type Held struct {
	Key   string // "program STATE"
	Muted bool   // silenced by /ops mute as well
	Count int
}

// addHeld counts n more troubles key on host for sink.
func (s *Store) addHeld(ctx context.Context, sink, host string, h Held) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO maintenance_held (sink, host, key, muted, count) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (sink, host, key, muted) DO UPDATE SET count = count + excluded.count`, sink, host, h.Key, h.Muted, h.Count)
	if err != nil {
		return fmt.Errorf("count a held alert: %w", err)
	}
	return nil
}

// heldHosts returns the hosts sink holds alerts of.
func (s *Store) heldHosts(ctx context.Context, sink string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT host FROM maintenance_held WHERE sink = ? ORDER BY host`, sink)
	if err != nil {
		return nil, fmt.Errorf("read held alerts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("read held alerts: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// takeHeld returns and forgets what sink holds of host, in the order each
// kind was first held; of several processes asking at once, one gets it.
func (s *Store) takeHeld(ctx context.Context, sink, host string) ([]Held, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("take held alerts: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT key, muted, count FROM maintenance_held WHERE sink = ? AND host = ? ORDER BY rowid`, sink, host)
	if err != nil {
		return nil, fmt.Errorf("take held alerts: %w", err)
	}
	var out []Held
	for rows.Next() {
		var h Held
		if err := rows.Scan(&h.Key, &h.Muted, &h.Count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("take held alerts: %w", err)
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("take held alerts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM maintenance_held WHERE sink = ? AND host = ?`, sink, host); err != nil {
		return nil, fmt.Errorf("take held alerts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("take held alerts: %w", err)
	}
	return out, nil
}
