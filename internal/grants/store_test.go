package grants

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
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
	db, err = sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s, err = New(ctx, db); err != nil {
		t.Fatal(err)
	}
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
