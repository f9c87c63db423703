package maintenance

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func open(t *testing.T, dir string, schedule ...Schedule) *Store {
	t.Helper()
	db, err := sqlitedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(context.Background(), db, schedule, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchedule(t *testing.T) {
	sc, err := ParseSchedule([]string{"sun", "Wednesday"}, "23:30", 2*time.Hour, "Europe/Berlin", true, "patching")
	if err != nil {
		t.Fatal(err)
	}
	berlin := sc.Loc
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"sunday before", time.Date(2026, 12, 6, 23, 29, 0, 0, berlin), false},
		{"sunday at the start", time.Date(2026, 12, 6, 23, 30, 0, 0, berlin), true},
		{"past midnight, on monday", time.Date(2026, 12, 7, 1, 0, 0, 0, berlin), true},
		{"at the end", time.Date(2026, 12, 7, 1, 30, 0, 0, berlin), false},
		{"wednesday, in UTC", time.Date(2026, 12, 9, 22, 45, 0, 0, time.UTC), true},
		{"tuesday", time.Date(2026, 12, 8, 23, 45, 0, 0, berlin), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := sc.At(tt.at)
			if ok != tt.want {
				t.Fatalf("At(%s) = %v, want %v", tt.at, ok, tt.want)
			}
			if ok && (!w.Freeze || w.Reason != "patching" || w.By != "schedule") {
				t.Errorf("window %+v", w)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct {
		name, field string
		days        []string
		start, zone string
		d           time.Duration
	}{
		{"no days", "days", nil, "02:00", "UTC", time.Hour},
		{"bad day", "days", []string{"sundae"}, "02:00", "UTC", time.Hour},
		{"bad start", "start", []string{"sun"}, "2am", "UTC", time.Hour},
		{"no duration", "duration", []string{"sun"}, "02:00", "UTC", 0},
		{"no zone", "time_zone", []string{"sun"}, "02:00", "", time.Hour},
		{"unknown zone", "time_zone", []string{"sun"}, "02:00", "Mars/Olympus", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSchedule(tt.days, tt.start, tt.d, tt.zone, false, "")
			if err == nil || !strings.HasPrefix(err.Error(), tt.field+":") {
				t.Errorf("got %v, want an error about %s", err, tt.field)
			}
		})
	}
}

// TestStoreSurvivesReopening: windows and mutes are read back by a store
// opened again on the same data directory, as after a restart.
func TestStoreSurvivesReopening(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	now := time.Now()
	s := open(t, dir)
	if _, err := s.Start(ctx, Window{Host: "web-01", Start: now, End: now.Add(time.Hour), Freeze: true, By: "local:alice", Reason: "deploy"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Mute(ctx, Mute{Host: "web-01", Target: "crasher", Until: now.Add(time.Minute), By: "local:alice"}, now); err != nil {
		t.Fatal(err)
	}
	again := open(t, dir)
	ws, err := again.Covering(ctx, "web-01", now)
	if err != nil || len(ws) != 1 || !ws[0].Freeze || ws[0].Reason != "deploy" {
		t.Fatalf("windows after reopening: %+v, %v", ws, err)
	}
	why, err := again.Frozen(ctx, []string{"web-01"}, now)
	if err != nil || !strings.Contains(why, "local:alice") || !strings.Contains(why, "deploy") {
		t.Errorf("Frozen = %q, %v; want it to name who and why", why, err)
	}
	if ok, _ := again.Muted(ctx, "web-01", []string{"crasher"}, now); !ok {
		t.Error("the mute did not survive")
	}
	if ok, _ := again.Muted(ctx, "web-01", []string{"crasher"}, now.Add(2*time.Minute)); ok {
		t.Error("the mute did not end")
	}
	if got, err := again.Stop(ctx, "web-01", now.Add(time.Second)); err != nil || len(got) != 1 {
		t.Fatalf("Stop: %+v, %v", got, err)
	}
	if ws, _ := s.Covering(ctx, "web-01", now.Add(2*time.Second)); len(ws) != 0 {
		t.Errorf("a stopped window still covers: %+v", ws)
	}
}

var discard = slog.New(slog.DiscardHandler)

func alertOf(host, program, state string) alert.Alert {
	return alert.Alert{Kind: alert.KindProgram, Host: host, Program: program, State: state, Count: 1}
}

type fakeNotifier struct {
	mu    sync.Mutex
	posts []alert.Alert
	edits []alert.Alert
}

func (f *fakeNotifier) PostAlert(_ context.Context, a alert.Alert) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, a)
	return "ref" + a.Program, nil
}

func (f *fakeNotifier) UpdateAlert(_ context.Context, _ string, a alert.Alert) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.edits = append(f.edits, a)
	return nil
}

func (f *fakeNotifier) PostRecovery(context.Context, string, alert.Alert) error { return nil }

// TestHoldSumsUp: alerts during a window are not posted; once it ends,
// one summary counts them, and an alert still open is posted when it
// next changes.
func TestHoldSumsUp(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	now := time.Now()
	if _, err := s.Start(ctx, Window{Host: "web-01", Start: now.Add(-time.Minute), End: now.Add(time.Hour), By: "local:alice"}); err != nil {
		t.Fatal(err)
	}
	inner := &fakeNotifier{}
	h := NewHold("test", inner, s, slog.New(slog.DiscardHandler))
	h.now = func() time.Time { return now }
	ref, err := h.PostAlert(ctx, alert.Alert{Kind: alert.KindProgram, Host: "web-01", Program: "web", State: "BACKOFF", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3} {
		if err := h.UpdateAlert(ctx, ref, alert.Alert{Kind: alert.KindProgram, Host: "web-01", Program: "web", State: "FATAL", Count: n}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.PostAlert(ctx, alert.Alert{Kind: alert.KindProgram, Host: "db-01", Program: "db", State: "FATAL", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if len(inner.posts) != 1 || inner.posts[0].Host != "db-01" {
		t.Fatalf("posted during the window: %+v", inner.posts)
	}
	h.Check(ctx)
	if len(inner.posts) != 1 {
		t.Fatalf("a summary before the window ended: %+v", inner.posts)
	}
	if _, err := s.Stop(ctx, "web-01", now); err != nil {
		t.Fatal(err)
	}
	h.Check(ctx)
	if len(inner.posts) != 2 {
		t.Fatalf("want one summary: %+v", inner.posts)
	}
	sum := inner.posts[1]
	if text := sum.Summary(); sum.Kind != alert.KindMaintenance || sum.Count != 3 ||
		!strings.Contains(text, "web BACKOFF ×1") || !strings.Contains(text, "web FATAL ×2") {
		t.Errorf("summary %q (count %d)", text, sum.Count)
	}
	h.Check(ctx)
	if len(inner.posts) != 2 {
		t.Errorf("the summary came twice")
	}
	if err := h.UpdateAlert(ctx, ref, alert.Alert{Kind: alert.KindProgram, Host: "web-01", Program: "web", State: "FATAL", Count: 4}); err != nil {
		t.Fatal(err)
	}
	if len(inner.posts) != 3 || inner.posts[2].Program != "web" {
		t.Errorf("the alert still open was not posted after the window: %+v", inner.posts)
	}
}
