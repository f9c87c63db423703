package alert

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// record is a Notifier that keeps what it was asked to post, standing in
// for a chat platform in these unit tests of the rules.
type record struct {
	mu    sync.Mutex
	lines []string
}

func (r *record) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}

func (r *record) PostAlert(_ context.Context, a Alert) (string, error) {
	r.add("post " + a.Summary() + " | " + a.Action + " | " + a.LogTail)
	return "ref-" + a.Program, nil
}
func (r *record) UpdateAlert(_ context.Context, ref string, a Alert) error {
	r.add("update " + ref + " " + a.Summary())
	return nil
}
func (r *record) PostRecovery(_ context.Context, ref string, a Alert) error {
	r.add("recovery " + ref + " " + a.Summary())
	return nil
}

func ev(state, group, process string, fields ...string) events.Event {
	f := map[string]string{}
	for i := 0; i+1 < len(fields); i += 2 {
		f[fields[i]] = fields[i+1]
	}
	return events.Event{Name: "PROCESS_STATE_" + state, Group: group, Process: process, Fields: f}
}

func TestFlappingIsOneMessageAndRecoveryAnswersIt(t *testing.T) {
	r := &record{}
	clock := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	e := New("web-01", Rules{States: []string{"FATAL", "BACKOFF"}, Unexpected: true, FlapWindow: 10 * time.Minute},
		map[string]Notifier{"slack": r}, func(context.Context, string) string { return "redis: connection refused" }, slog.New(slog.DiscardHandler))
	e.now = func() time.Time { return clock }
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		e.Handle(ctx, ev("BACKOFF", "queue", "queue_00"))
		clock = clock.Add(time.Minute)
	}
	e.Handle(ctx, ev("EXITED", "web", "web", "expected", "1")) // expected exit: no alert
	e.Handle(ctx, ev("RUNNING", "queue", "queue_00"))
	e.Handle(ctx, ev("RUNNING", "web", "web")) // never alerted: nothing
	want := []string{
		"post queue:queue_00 on web-01 is BACKOFF. | supervisor restart queue:queue_00 | redis: connection refused",
		"update ref-queue:queue_00 queue:queue_00 on web-01 is BACKOFF (2 times since 14:00:00 UTC).",
		"update ref-queue:queue_00 queue:queue_00 on web-01 is BACKOFF (3 times since 14:00:00 UTC).",
		"recovery ref-queue:queue_00 queue:queue_00 on web-01 recovered: RUNNING again after 3 problem(s) since 14:00:00 UTC.",
	}
	if got := strings.Join(r.lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("posted:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestRules(t *testing.T) {
	night := time.Date(2026, 11, 26, 23, 30, 0, 0, time.Local)
	tests := []struct {
		name  string
		rules Rules
		event events.Event
		posts int
	}{
		{"fatal", Rules{States: []string{"FATAL"}}, ev("FATAL", "web", "web"), 1},
		{"state not alerting", Rules{States: []string{"FATAL"}}, ev("BACKOFF", "web", "web"), 0},
		{"unexpected exit", Rules{Unexpected: true}, ev("EXITED", "web", "web", "expected", "0"), 1},
		{"unexpected exits off", Rules{}, ev("EXITED", "web", "web", "expected", "0"), 0},
		{"muted program", Rules{States: []string{"FATAL"}, Mute: []string{"web"}}, ev("FATAL", "web", "web"), 0},
		{"muted group", Rules{States: []string{"FATAL"}, Mute: []string{"queue:*"}}, ev("FATAL", "queue", "queue_01"), 0},
		{"quiet hours hold backoff", Rules{States: []string{"BACKOFF"}, QuietHours: "22:00-06:00"}, ev("BACKOFF", "web", "web"), 0},
		{"quiet hours let fatal through", Rules{States: []string{"FATAL"}, QuietHours: "22:00-06:00"}, ev("FATAL", "web", "web"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &record{}
			e := New("h", tt.rules, map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
			e.now = func() time.Time { return night }
			e.Handle(context.Background(), tt.event)
			if len(r.lines) != tt.posts {
				t.Errorf("posted %v, want %d", r.lines, tt.posts)
			}
		})
	}
}

func TestParseQuietHours(t *testing.T) {
	for _, tt := range []struct {
		in       string
		from, to int
		ok       bool
	}{{"22:00-06:30", 1320, 390, true}, {"bad", 0, 0, false}, {"25:00-01:00", 0, 0, false}} {
		from, to, ok := ParseQuietHours(tt.in)
		if from != tt.from || to != tt.to || ok != tt.ok {
			t.Errorf("ParseQuietHours(%q) = %d %d %v", tt.in, from, to, ok)
		}
	}
}

func TestPoolSaturation(t *testing.T) {
	r := &record{}
	e := New("web-01", Rules{FlapWindow: 10 * time.Minute}, map[string]Notifier{"slack": r}, nil, slog.New(slog.DiscardHandler))
	w := NewPoolWatch()
	sample := func(reached, queue int64) ops.FPMStatus {
		return ops.FPMStatus{Pools: []ops.PoolStatus{
			{Name: "shop", Figures: &ops.PoolFigures{MaxChildrenReached: reached, ListenQueue: queue, ActiveProcesses: 4, TotalProcesses: 4}},
			{Name: "www"}, // no status page: not watched
		}}
	}
	ctx := context.Background()
	e.Pools(ctx, w, sample(0, 0))
	e.Pools(ctx, w, sample(0, 3)) // one queued sample is not yet a problem
	e.Pools(ctx, w, sample(2, 3))
	e.Pools(ctx, w, sample(2, 5))
	e.Pools(ctx, w, sample(2, 0))
	want := []string{
		"post PHP-FPM pool shop on web-01 is SATURATED: max children reached 2 times (+2), 4 of 4 workers active. | fpm tune shop | ",
		"update ref-shop PHP-FPM pool shop on web-01 is QUEUEING: 5 requests wait in the listen queue (2 times since",
		"recovery ref-shop PHP-FPM pool shop on web-01 has workers to spare again",
	}
	if len(r.lines) != len(want) {
		t.Fatalf("posted:\n%s", strings.Join(r.lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(r.lines[i], w) {
			t.Errorf("line %d: %q\nwant prefix %q", i, r.lines[i], w)
		}
	}
}
