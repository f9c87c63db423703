package audit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func TestPruneExportsBeforeDeleting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	trail, err := audit.New(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2500 { // more than one batch
		if err := trail.Record(ctx, ops.AuditEntry{Time: start.Add(time.Duration(i) * time.Hour), Actor: "local:olga", Operation: "ops.whoami", Status: ops.StatusOK}); err != nil {
			t.Fatal(err)
		}
	}
	cut := start.Add(2400 * time.Hour) // the first 2400 go
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)

	// A directory that cannot take the export: nothing is deleted.
	if _, _, err := trail.Prune(ctx, cut, filepath.Join(dir, "missing"), now); err == nil {
		t.Fatal("prune into a missing directory succeeded")
	}
	if got, _ := trail.Recent(ctx, 5000); len(got) != 2500 {
		t.Fatalf("a failed export deleted entries: %d left", len(got))
	}

	n, path, err := trail.Prune(ctx, cut, dir, now)
	if err != nil || n != 2400 {
		t.Fatalf("prune = %d, %v; want 2400", n, err)
	}
	if want := filepath.Join(dir, "audit-archive-2026-12-04.jsonl"); path != want {
		t.Errorf("archive %s, want %s", path, want)
	}
	left, err := trail.Recent(ctx, 5000)
	if err != nil || len(left) != 100 || left[0].Time.Before(cut) {
		t.Fatalf("after pruning: %d entries, %v", len(left), err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v, want 0600", st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e ops.AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.ID == 0 || !e.Time.Before(cut) {
			t.Fatalf("archive line %d: %s (%v)", lines+1, sc.Text(), err)
		}
		lines++
	}
	if lines != 2400 {
		t.Errorf("archive holds %d lines, want 2400", lines)
	}
	if n, _, err := trail.Prune(ctx, cut, dir, now); n != 0 || err != nil {
		t.Errorf("second prune = %d, %v; want nothing", n, err)
	}
}
