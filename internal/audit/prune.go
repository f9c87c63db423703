package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ArchivePrefix starts the name of the files Prune exports entries to,
// one per day of pruning: audit-archive-2026-12-04.jsonl in the directory
// given to Prune.
const ArchivePrefix = "audit-archive-"

// pruneBatch bounds the rows one round of Prune holds in memory.
const pruneBatch = 1000

// Prune moves the entries recorded before before out of the database: it
// appends each, as one JSON line (the same form as the audit file), to a
// dated archive file in dir, syncs the file, and only then deletes the
// rows it wrote. A failed export deletes nothing. It returns how many
// entries it moved and the archive's path ("" when none).
func (l *Log) Prune(ctx context.Context, before time.Time, dir string, now time.Time) (int, string, error) {
	path := filepath.Join(dir, ArchivePrefix+now.UTC().Format(time.DateOnly)+".jsonl")
	moved := 0
	for {
		n, err := l.pruneBatch(ctx, before, path)
		moved += n
		if err != nil {
			return moved, path, err
		}
		if n < pruneBatch {
			break
		}
	}
	if moved == 0 {
		return 0, "", nil
	}
	return moved, path, nil
}

func (l *Log) pruneBatch(ctx context.Context, before time.Time, path string) (int, error) {
	rows, err := l.db.QueryContext(ctx,
		`SELECT id, entry FROM audit WHERE time < ? ORDER BY id LIMIT ?`, before.UnixNano(), pruneBatch)
	if err != nil {
		return 0, fmt.Errorf("read old audit entries: %w", err)
	}
	var (
		b    strings.Builder
		last int64
		n    int
	)
	for rows.Next() {
		var body string
		if err := rows.Scan(&last, &body); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read old audit entry: %w", err)
		}
		var e ops.AuditEntry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			rows.Close()
			return 0, fmt.Errorf("decode audit entry %d: %w", last, err)
		}
		e.ID = last // as the audit file has it
		line, err := json.Marshal(e)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("encode audit entry %d: %w", last, err)
		}
		b.Write(line)
		b.WriteByte('\n')
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read old audit entries: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := appendSynced(path, b.String()); err != nil {
		return 0, err
	}
	if _, err := l.db.ExecContext(ctx, `DELETE FROM audit WHERE id <= ? AND time < ?`, last, before.UnixNano()); err != nil {
		// Exported but still in the database: the next round exports
		// them again, which duplicates lines but loses none.
		return 0, fmt.Errorf("delete exported audit entries: %w", err)
	}
	return n, nil
}

// appendSynced appends text to path (created 0600) and syncs it, so rows
// are deleted only once their export is on disk.
func appendSynced(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit archive: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("append to audit archive: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync audit archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close audit archive: %w", err)
	}
	return nil
}
