package alert

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// untilMute mutes its names until a time, like /ops mute.
type untilMute struct {
	names []string
	until time.Time
}

func (m untilMute) Muted(names []string, t time.Time) bool {
	return t.Before(m.until) && slices.ContainsFunc(names, func(n string) bool { return slices.Contains(m.names, n) })
}

// TestMuteWithAnEnd: a program muted until a time alerts nothing before
// it, and alerts again after it; a group's mute covers its processes.
func TestMuteWithAnEnd(t *testing.T) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		mute    []string
		group   string
		process string
	}{
		{"program", []string{"web"}, "web", "web"},
		{"group", []string{"queue:*"}, "queue", "queue_00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &record{}
			rules := fastRules()
			rules.Mutes = untilMute{names: tt.mute, until: start.Add(time.Minute)}
			e := New("h", rules, map[string]Notifier{"x": r}, nil, slog.New(slog.DiscardHandler))
			now := start
			e.now = func() time.Time { return now }
			e.Handle(context.Background(), ev("FATAL", tt.group, tt.process))
			waitFor(t, "the muted event handled", e.Idle)
			if lines := r.snapshot(); len(lines) != 0 {
				t.Fatalf("posted while muted: %v", lines)
			}
			now = start.Add(time.Minute)
			e.Handle(context.Background(), ev("FATAL", tt.group, tt.process))
			waitFor(t, "the alert after the mute", func() bool { return e.Idle() && count(r.snapshot(), "post ") == 1 })
		})
	}
}
