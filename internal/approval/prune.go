package approval

import (
	"context"
	"fmt"
	"time"
)

// Prune deletes the requests that were closed before before: decided ones
// by the time of their decision, and ones left pending past their expiry by
// that expiry. Pending, unexpired requests are never touched. It returns
// how many rows it deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		`DELETE FROM approvals
		 WHERE (state != 'pending' AND COALESCE(decided_at, expires) < ?)
		    OR (state = 'pending' AND expires < ?)`,
		before.UnixNano(), before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune approvals: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune approvals: %w", err)
	}
	return n, nil
}
