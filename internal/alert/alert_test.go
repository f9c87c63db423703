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

// snapshot returns what r was asked so far.
func (r *record) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// waitFor polls cond for up to a generous bound: a loaded machine may be slow,
// but cond must come true.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func fastRules() Rules {
	return Rules{States: []string{"FATAL", "BACKOFF"}, Unexpected: true, FlapWindow: 10 * time.Minute,
		StableAfter: time.Hour, UpdateEvery: 20 * time.Millisecond, MaxPosts: 100, PostWindow: time.Minute}
}

// TestFlappingIsOneMessageEndingOnTheLastState: a program that keeps
// reaching RUNNING between its troubles is still one incident, one
// message, and the message ends on the state the program ended in.
func TestFlappingIsOneMessageEndingOnTheLastState(t *testing.T) {
	r := &record{}
	e := New("web-01", fastRules(), map[string]Notifier{"slack": r},
		func(context.Context, string) string { return "redis: connection refused" }, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		e.Handle(ctx, ev("STARTING", "queue", "queue_00"))
		e.Handle(ctx, ev("RUNNING", "queue", "queue_00"))
		e.Handle(ctx, ev("EXITED", "queue", "queue_00", "expected", "0"))
		e.Handle(ctx, ev("BACKOFF", "queue", "queue_00"))
	}
	e.Handle(ctx, ev("FATAL", "queue", "queue_00"))
	waitFor(t, "the message to show FATAL", func() bool {
		lines := r.snapshot()
		return e.Idle() && len(lines) > 0 && strings.Contains(lines[len(lines)-1], "is FATAL (41 times since")
	})
	lines := r.snapshot()
	if n := count(lines, "post "); n != 1 {
		t.Errorf("%d posts for one incident:\n%s", n, strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(lines[0], "post queue:queue_00 on web-01 is EXITED. | supervisor restart queue:queue_00 | redis: connection refused") {
		t.Errorf("first post: %s", lines[0])
	}
	if n := count(lines, "recovery "); n != 0 {
		t.Errorf("a recovery while flapping:\n%s", strings.Join(lines, "\n"))
	}
	if e.Open() != 1 {
		t.Errorf("%d incidents open, want 1", e.Open())
	}
}

// slow is a Notifier whose posts take a while, as a chat API under load.
type slow struct{ record }

func (s *slow) PostAlert(ctx context.Context, a Alert) (string, error) {
	time.Sleep(30 * time.Millisecond)
	return s.record.PostAlert(ctx, a)
}

// TestEventsOfOneProgramAreHandledInOrder: however slow the chat API, the
// last event decides what the message shows.
func TestEventsOfOneProgramAreHandledInOrder(t *testing.T) {
	s := &slow{}
	rules := fastRules()
	rules.UpdateEvery = time.Nanosecond
	e := New("h", rules, map[string]Notifier{"x": s}, nil, slog.New(slog.DiscardHandler))
	e.Handle(context.Background(), ev("BACKOFF", "web", "web"))
	e.Handle(context.Background(), ev("BACKOFF", "web", "web"))
	e.Handle(context.Background(), ev("FATAL", "web", "web"))
	waitFor(t, "every event handled", e.Idle)
	lines := s.snapshot()
	want := []string{"post web on h is BACKOFF. | supervisor restart web | ",
		"update ref-web web on h is BACKOFF (2 times since", "update ref-web web on h is FATAL (3 times since"}
	if len(lines) != len(want) {
		t.Fatalf("posted:\n%s", strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want %q", i, lines[i], w)
		}
	}
}

// TestStableProgramClosesTheIncident: RUNNING for StableAfter closes it;
// the message says so and the recovery answers it once.
func TestStableProgramClosesTheIncident(t *testing.T) {
	r := &record{}
	rules := fastRules()
	rules.StableAfter = 50 * time.Millisecond
	e := New("h", rules, map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
	e.Handle(context.Background(), ev("FATAL", "web", "web"))
	e.Handle(context.Background(), ev("STARTING", "web", "web"))
	e.Handle(context.Background(), ev("RUNNING", "web", "web"))
	waitFor(t, "the recovery", func() bool { return count(r.snapshot(), "recovery ") == 1 && e.Idle() })
	lines := r.snapshot()
	if !strings.Contains(strings.Join(lines, "\n"), "update ref-web web on h recovered: RUNNING again after 1 problem(s)") || e.Open() != 0 {
		t.Errorf("posted (%d open):\n%s", e.Open(), strings.Join(lines, "\n"))
	}
	if n := count(lines, "post "); n != 1 {
		t.Errorf("%d posts", n)
	}
}

// TestPostsPerChannelAreLimited: past MaxPosts in the window, alerts are
// held back and summed up in one message when the window allows.
func TestPostsPerChannelAreLimited(t *testing.T) {
	r := &record{}
	rules := fastRules()
	rules.MaxPosts, rules.PostWindow = 2, 100*time.Millisecond
	e := New("h", rules, map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		e.Handle(context.Background(), ev("FATAL", name, name))
		waitFor(t, "the event handled", e.Idle)
	}
	waitFor(t, "the summary", func() bool { return count(r.snapshot(), "post ") == 3 })
	waitFor(t, "quiet", e.Idle)
	lines := r.snapshot()
	if len(lines) != 3 || !strings.Contains(lines[2], "3 more alert(s) on h were held back") ||
		!strings.Contains(lines[2], "c (FATAL); d (FATAL); e (FATAL)") {
		t.Errorf("posted:\n%s", strings.Join(lines, "\n"))
	}
}

func TestRestartButtonOnlyForNamesTheGrammarReads(t *testing.T) {
	for name, want := range map[string]string{
		"web":                      "supervisor restart web",
		"my.app-1:my.app-1_00":     "supervisor restart my.app-1:my.app-1_00",
		"evil:<!channel>@everyone": "",
		"a b":                      "",
	} {
		if got := restartAction(name); got != want {
			t.Errorf("restartAction(%q) = %q, want %q", name, got, want)
		}
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
			waitFor(t, "the event handled", e.Idle)
			if lines := r.snapshot(); len(lines) != tt.posts {
				t.Errorf("posted %v, want %d", lines, tt.posts)
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
	rules := fastRules()
	rules.StableAfter, rules.UpdateEvery = 50*time.Millisecond, time.Nanosecond
	e := New("web-01", rules, map[string]Notifier{"slack": r}, nil, slog.New(slog.DiscardHandler))
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
	waitFor(t, "the recovery", func() bool { return count(r.snapshot(), "recovery ") == 1 })
	want := []string{
		"post PHP-FPM pool shop on web-01 is SATURATED: max children reached 2 times (+2), 4 of 4 workers active. | fpm tune shop | ",
		"update ref-shop PHP-FPM pool shop on web-01 is QUEUEING: 5 requests wait in the listen queue (2 times since",
		"update ref-shop PHP-FPM pool shop on web-01 is no longer short of workers (2 times since",
		"update ref-shop PHP-FPM pool shop on web-01 has workers to spare again",
		"recovery ref-shop PHP-FPM pool shop on web-01 has workers to spare again",
	}
	lines := r.snapshot()
	if len(lines) != len(want) {
		t.Fatalf("posted:\n%s", strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q\nwant prefix %q", i, lines[i], w)
		}
	}
}

// TestRaiseStoppedPosts: a raised trouble whose state is STOPPED (the
// event listener stopped by hand) is posted like any other.
func TestRaiseStoppedPosts(t *testing.T) {
	r := &record{}
	e := New("h", fastRules(), map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
	e.Raise(context.Background(), "\x00listener", Alert{Kind: KindListener, Program: "poolvisor-events", State: "STOPPED"})
	waitFor(t, "the post", func() bool { return count(r.snapshot(), "post ") == 1 })
	e.Clear(context.Background(), "\x00listener", "REMOVED")
	waitFor(t, "the close", func() bool { return e.Idle() && e.Open() == 0 })
	if lines := r.snapshot(); len(lines) != 2 || !strings.Contains(lines[1], "is REMOVED") {
		t.Errorf("posted:\n%s", strings.Join(lines, "\n"))
	}
}
