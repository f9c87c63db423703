package dedupe_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/dedupe"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time { return *c.t.Load() }
func (c *clock) add(d time.Duration) {
	t := c.now().Add(d)
	c.t.Store(&t)
}

func newStore(t *testing.T, dir string, c *clock) *dedupe.Store {
	t.Helper()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := dedupe.New(context.Background(), db, dedupe.WithTTL(time.Hour), dedupe.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newClock() *clock {
	c := &clock{}
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c.t.Store(&start)
	return c
}

func TestClaim(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, t.TempDir(), c)
	tests := []struct {
		name  string
		key   string
		after time.Duration
		want  bool
	}{
		{"first claim wins", "slack:trigger:1", 0, true},
		{"second claim loses", "slack:trigger:1", 0, false},
		{"another key is independent", "slack:trigger:2", 0, true},
		{"still claimed just before expiry", "slack:trigger:1", 59 * time.Minute, false},
		{"an expired claim can be claimed again", "slack:trigger:1", 2 * time.Minute, true},
		{"and is then claimed", "slack:trigger:1", 0, false},
	}
	for _, tt := range tests {
		c.add(tt.after)
		got, err := s.Claim(ctx, tt.key)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: Claim(%q) = %v, want %v", tt.name, tt.key, got, tt.want)
		}
	}
}

func TestConcurrentClaimsOneWins(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	dir := t.TempDir()
	// Two stores on one database: two processes sharing the data directory.
	stores := []*dedupe.Store{newStore(t, dir, c), newStore(t, dir, c)}
	for k := range 5 {
		key := fmt.Sprintf("slack:action:%d", k)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				ok, err := stores[i%2].Claim(ctx, key)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%s claimed %d times, want exactly once", key, wins.Load())
		}
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, t.TempDir(), c)
	for i := range 10 {
		if _, err := s.Claim(ctx, fmt.Sprint("old", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.add(90 * time.Minute)
	if _, err := s.Claim(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx)
	if err != nil || n != 10 {
		t.Fatalf("Prune = %d, %v; want 10 expired keys removed", n, err)
	}
	if ok, _ := s.Claim(ctx, "new"); ok {
		t.Error("prune removed a live key")
	}
}
