package posted_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// ref is a message reference as an adapter keeps it.
type ref struct {
	Channel, TS string
	Token       struct {
		Value   string
		Expires time.Time
	}
}

type clock struct{ t atomic.Pointer[time.Time] }

func newClock() *clock {
	c := &clock{}
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c.t.Store(&start)
	return c
}

func (c *clock) now() time.Time { return *c.t.Load() }
func (c *clock) add(d time.Duration) {
	t := c.now().Add(d)
	c.t.Store(&t)
}

// openDB opens the embedded database in dir, as a process of its own would.
func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openStore(t *testing.T, db *sql.DB) *posted.Store {
	t.Helper()
	s, err := posted.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustAdd[R any](t *testing.T, tr *posted.Tracker[R], id string, r R) {
	t.Helper()
	if err := tr.Add(context.Background(), id, r); err != nil {
		t.Fatal(err)
	}
}

func mustTake[R any](t *testing.T, tr *posted.Tracker[R], id string) []R {
	t.Helper()
	got, err := tr.Take(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestTracker runs the same rules in memory and on SQLite.
func TestTracker(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) *posted.Store
	}{
		{"memory", func(*testing.T) *posted.Store { return nil }},
		{"sqlite", func(t *testing.T) *posted.Store { return openStore(t, openDB(t, t.TempDir())) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			tr := posted.New[ref](tc.store(t), "slack", c.now)
			withToken := ref{Channel: "C2", TS: "7"}
			withToken.Token.Value, withToken.Token.Expires = "tok", c.now().Add(15*time.Minute)
			mustAdd(t, tr, "a1", ref{Channel: "C1", TS: "1"})
			mustAdd(t, tr, "a1", withToken)
			mustAdd(t, tr, "old", ref{Channel: "C1", TS: "2"})

			got := mustTake(t, tr, "a1")
			if len(got) != 2 || got[0].TS != "1" || got[1].TS != "7" || got[1].Token.Value != "tok" || !got[1].Token.Expires.Equal(withToken.Token.Expires) {
				t.Errorf("Take = %+v", got)
			}
			if got := mustTake(t, tr, "a1"); got != nil {
				t.Errorf("second Take = %+v", got)
			}
			if got := mustTake(t, tr, "unknown"); got != nil {
				t.Errorf("Take of an unknown id = %+v", got)
			}

			c.add(posted.Memory + time.Minute)
			mustAdd(t, tr, "new", ref{Channel: "C1", TS: "3"}) // forgets what expired
			if got := mustTake(t, tr, "old"); got != nil {
				t.Errorf("expired entry kept: %+v", got)
			}
			if got := mustTake(t, tr, "new"); len(got) != 1 {
				t.Errorf("Take after a prune = %+v", got)
			}
			mustAdd(t, tr, "late", ref{Channel: "C1", TS: "4"})
			c.add(posted.Memory)
			if got := mustTake(t, tr, "late"); got != nil {
				t.Errorf("an expired entry was taken: %+v", got)
			}
		})
	}
}

// TestRestart adds in one process and takes in the next: what `serve`
// posted before a restart is found after it.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	before := posted.New[ref](openStore(t, openDB(t, dir)), "slack", c.now)
	mustAdd(t, before, "a1", ref{Channel: "C1", TS: "1"})
	mustAdd(t, before, "a1", ref{Channel: "C2", TS: "2"})

	after := posted.New[ref](openStore(t, openDB(t, dir)), "slack", c.now)
	got := mustTake(t, after, "a1")
	if len(got) != 2 || got[0] != (ref{Channel: "C1", TS: "1"}) || got[1] != (ref{Channel: "C2", TS: "2"}) {
		t.Errorf("after a restart, Take = %+v", got)
	}
	if got := mustTake(t, before, "a1"); got != nil {
		t.Errorf("taken twice: %+v", got)
	}
}

// TestPlatformsApart keeps Slack's and Discord's rows apart on one table.
func TestPlatformsApart(t *testing.T) {
	s := openStore(t, openDB(t, t.TempDir()))
	c := newClock()
	sl := posted.New[ref](s, "slack", c.now)
	dc := posted.New[string](s, "discord", c.now)
	mustAdd(t, sl, "a1", ref{Channel: "C1", TS: "1"})
	mustAdd(t, dc, "a1", "channel/message")
	if got := mustTake(t, dc, "a1"); len(got) != 1 || got[0] != "channel/message" {
		t.Errorf("discord Take = %v", got)
	}
	if got := mustTake(t, sl, "a1"); len(got) != 1 || got[0].TS != "1" {
		t.Errorf("slack Take = %+v", got)
	}
}

// TestConcurrentTakes has several processes take the same request at
// once: exactly one gets its references.
func TestConcurrentTakes(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	const procs = 6
	trackers := make([]*posted.Tracker[ref], procs)
	for i := range trackers {
		trackers[i] = posted.New[ref](openStore(t, openDB(t, dir)), "slack", c.now)
	}
	for round := range 20 {
		id := fmt.Sprintf("a%d", round)
		mustAdd(t, trackers[0], id, ref{Channel: "C1", TS: "1"})
		mustAdd(t, trackers[0], id, ref{Channel: "C2", TS: "2"})
		var wg sync.WaitGroup
		var got atomic.Int32
		for _, tr := range trackers {
			wg.Go(func() {
				refs, err := tr.Take(context.Background(), id)
				if err != nil {
					t.Error(err)
				}
				got.Add(int32(len(refs)))
				if len(refs) != 0 && len(refs) != 2 {
					t.Errorf("a Take got part of the references: %+v", refs)
				}
			})
		}
		wg.Wait()
		if n := got.Load(); n != 2 {
			t.Fatalf("round %d: %d references taken in all, want 2", round, n)
		}
	}
}

// TestUndecodableRow reports a reference that no longer decodes and
// returns the others.
func TestUndecodableRow(t *testing.T) {
	db := openDB(t, t.TempDir())
	c := newClock()
	tr := posted.New[ref](openStore(t, db), "slack", c.now)
	mustAdd(t, tr, "a1", ref{Channel: "C1", TS: "1"})
	if _, err := db.Exec(`INSERT INTO posted_messages (platform, approval_id, ref_json, expires) VALUES ('slack', 'a1', '{"TS": 5}', ?)`,
		c.now().Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}
	got, err := tr.Take(context.Background(), "a1")
	if err == nil || len(got) != 1 || got[0].TS != "1" {
		t.Errorf("Take = %+v, %v; want the good reference and an error", got, err)
	}
}

// TestGetKeeps: Get reads without forgetting, in memory and in the
// database, until what was added expires after the Tracker's own memory.
func TestGetKeeps(t *testing.T) {
	for _, store := range []string{"memory", "database"} {
		t.Run(store, func(t *testing.T) {
			c := newClock()
			var s *posted.Store
			if store == "database" {
				s = openStore(t, openDB(t, t.TempDir()))
			}
			tr := posted.New[string](s, "test-alert", c.now).For(30 * 24 * time.Hour)
			mustAdd(t, tr, "k", "supervisor restart web")
			for range 2 {
				got, err := tr.Get(t.Context(), "k")
				if err != nil || len(got) != 1 || got[0] != "supervisor restart web" {
					t.Fatalf("Get: %q, %v", got, err)
				}
			}
			c.add(posted.Memory + time.Hour)
			if got, _ := tr.Get(t.Context(), "k"); len(got) != 1 {
				t.Errorf("forgotten after a day, though kept for 30: %q", got)
			}
			c.add(30 * 24 * time.Hour)
			if got, _ := tr.Get(t.Context(), "k"); len(got) != 0 {
				t.Errorf("kept past its memory: %q", got)
			}
		})
	}
}
