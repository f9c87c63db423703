package runs

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	alice := ops.Actor{Platform: "local", ID: "alice"}
	rec := ops.RunRecord{ID: "abc234", Op: ops.Operation{Name: "supervisor.program.restart", Target: "queue:*"},
		Requester: alice, Approver: "local:bob", Started: time.Now()}
	if err := s.Begin(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "abc234")
	if err != nil || got.Op.Target != "queue:*" || !got.Requester.Same(alice) || got.Approver != "local:bob" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if got, first, err := s.Cancel(ctx, "abc234", "local:olga"); err != nil || !first || got.CancelledBy != "local:olga" {
		t.Fatalf("first cancel: %+v %v %v", got, first, err)
	}
	if got, first, err := s.Cancel(ctx, "abc234", "local:bob"); err != nil || first || got.CancelledBy != "local:olga" {
		t.Fatalf("second cancel: %+v %v %v", got, first, err)
	}
	if err := s.End(ctx, "abc234"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "abc234"); !errors.Is(err, ops.ErrNotFound) {
		t.Errorf("an ended run: %v", err)
	}

	// A run whose process is gone (killed mid-roll) is not under way.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := &Store{db: db, pid: gone.Process.Pid}
	if err := dead.Begin(ctx, ops.RunRecord{ID: "dead22", Op: rec.Op, Requester: alice, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "dead22"); !errors.Is(err, ops.ErrNotFound) {
		t.Errorf("the run of a process that is gone: %v", err)
	}
}
