package grants

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// openStore opens the grants in the database in dir, as a process of its
// own would; the caller closes db.
func openStore(t *testing.T, dir string) (*Store, *sql.DB) {
	t.Helper()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return s, db
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, db := openStore(t, dir)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	g, err := s.Add(ctx, Grant{Who: "alice", Role: "operator", Kind: KindGrant, Until: now.Add(time.Minute), Created: now, By: "local:root"})
	if err != nil {
		t.Fatal(err)
	}
	bg, err := s.Add(ctx, Grant{Who: "local:olga", Role: "admin", Kind: KindBreakGlass, Until: now.Add(time.Minute), Created: now, By: "local:olga", Reason: "db down"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A new connection, as a restarted process has.
	s, db = openStore(t, dir)
	defer db.Close()
	if list, _ := s.Active(ctx, now); len(list) != 2 {
		t.Fatalf("after reopening: %d active grants, want 2", len(list))
	}
	if list, _ := s.Active(ctx, now.Add(time.Minute)); len(list) != 0 {
		t.Errorf("at the deadline: %v still active", list)
	}
	if list, _ := s.Listed(ctx, now.Add(time.Minute)); len(list) != 1 || list[0].ID != bg || list[0].Active || list[0].Reviewed {
		t.Errorf("after the deadline /ops grants lists %+v, want the unreviewed break-glass %s alone", list, bg)
	}
	if err := s.Revoke(ctx, g, "local:root", now.Add(2*time.Minute)); !errors.Is(err, ErrEnded) {
		t.Errorf("revoking an expired grant: %v, want ErrEnded", err)
	}
	if err := s.Revoke(ctx, "gnone", "local:root", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an unknown grant: %v, want ErrNotFound", err)
	}
	if err := s.Revoke(ctx, g, "local:root", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, g, "local:root", now); !errors.Is(err, ErrEnded) {
		t.Errorf("revoking twice: %v, want ErrEnded", err)
	}
	if err := s.Review(ctx, g, "local:root"); !errors.Is(err, ErrReviewed) {
		t.Errorf("reviewing a grant: %v", err)
	}
	if err := s.Review(ctx, bg, "local:root"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, bg, now); !got.Reviewed || got.ReviewedBy != "local:root" {
		t.Errorf("after review: %+v", got)
	}
	ending, err := s.Ending(ctx, now.Add(30*time.Second), 5*time.Minute)
	if err != nil || len(ending) != 1 || ending[0].ID != bg {
		t.Fatalf("Ending = %v, %v; want %s alone (the other was revoked)", ending, err, bg)
	}
	if again, _ := s.Ending(ctx, now.Add(30*time.Second), 5*time.Minute); len(again) != 0 {
		t.Errorf("reminded twice of %v", again)
	}
}

// TestStartedOnce: the holder of each grant is told it started once, by
// whichever process asks first, and a grant ended before anyone asked is
// not told of; a reopened database keeps what was told.
func TestStartedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, db := openStore(t, dir)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	id, err := s.Add(ctx, Grant{Who: "alice", Role: "operator", Kind: KindGrant, Until: now.Add(time.Minute), Created: now, By: "local:root"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, Grant{Who: "bob", Role: "operator", Kind: KindGrant, Until: now.Add(time.Second), Created: now, By: "local:root"}); err != nil {
		t.Fatal(err)
	}
	started, err := s.Started(ctx, now.Add(2*time.Second))
	if err != nil || len(started) != 1 || started[0].ID != id {
		t.Fatalf("Started = %+v, %v; want %s alone", started, err, id)
	}
	db.Close()
	s, db = openStore(t, dir)
	defer db.Close()
	if again, _ := s.Started(ctx, now.Add(3*time.Second)); len(again) != 0 {
		t.Errorf("told twice: %+v", again)
	}
}

// TestToldColumnAdded: a grants table from before the told column gets
// it, its grants counting as told (their holders were told then, in the
// notify channel), and new grants are told of.
func TestToldColumnAdded(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if _, err := db.ExecContext(ctx, `CREATE TABLE grants (id TEXT PRIMARY KEY, who TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL,
		until INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, granted_by TEXT NOT NULL,
		approver TEXT NOT NULL DEFAULT '', revoked INTEGER NOT NULL DEFAULT 0, revoked_by TEXT NOT NULL DEFAULT '',
		reviewed_by TEXT NOT NULL DEFAULT '', reminded INTEGER NOT NULL DEFAULT 0);
		INSERT INTO grants (id, who, role, kind, until, created, granted_by) VALUES ('gold', 'alice', 'operator', 'grant', ?, ?, 'local:root')`,
		now.Add(time.Hour).UnixNano(), now.UnixNano()); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, db); err != nil { // a second process: the column is there already
		t.Fatal(err)
	}
	id, err := s.Add(ctx, Grant{Who: "bob", Role: "operator", Kind: KindGrant, Until: now.Add(time.Hour), Created: now, By: "local:root"})
	if err != nil {
		t.Fatal(err)
	}
	if started, err := s.Started(ctx, now); err != nil || len(started) != 1 || started[0].ID != id {
		t.Errorf("Started = %+v, %v; want the new %s alone", started, err, id)
	}
}
