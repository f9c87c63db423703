package maintenance

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func run(t *testing.T, o Ops, op ops.Operation, who ops.Actor) (ops.Outcome, error) {
	t.Helper()
	plan, err := o.Handlers()[op.Name].Plan(context.Background(), ops.Request{Actor: who, Op: op})
	if err != nil {
		return ops.Outcome{}, err
	}
	return plan.Apply(context.Background())
}

func status(err error) ops.Status {
	var e *ops.Error
	if errors.As(err, &e) {
		return e.Status
	}
	if err == nil {
		return ops.StatusOK
	}
	return "?"
}

// TestOpsRefuse: durations that do not parse, are not above 0 or exceed
// the maximum, and a freeze by someone who may not write, change nothing.
func TestOpsRefuse(t *testing.T) {
	s := open(t, t.TempDir())
	writer := ops.Actor{Platform: "local", ID: "olga"}
	var told []string
	o := Ops{Store: s, Host: "web-01", Max: 24 * time.Hour, CanWrite: func(a ops.Actor) bool { return a.Same(writer) },
		Announce: func(_ context.Context, text string) error { told = append(told, text); return nil }}
	start := func(d string, args ...ops.Arg) ops.Operation {
		return ops.Operation{Name: "ops.maintenance", Target: d, Args: append([]ops.Arg{{Key: "action", Value: "start"}}, args...)}
	}
	mute := func(d string) ops.Operation {
		return ops.Operation{Name: "ops.mute", Target: "web", Args: []ops.Arg{{Key: "duration", Value: d}}}
	}
	freeze := ops.Arg{Key: "freeze", Value: "true"}
	tests := []struct {
		name string
		op   ops.Operation
		who  ops.Actor
		want ops.Status
	}{
		{"not a duration", start("soon"), writer, ops.StatusInvalid},
		{"zero", start("0s"), writer, ops.StatusInvalid},
		{"negative", start("-1h"), writer, ops.StatusInvalid},
		{"above the maximum", start("25h"), writer, ops.StatusInvalid},
		{"freeze by one who cannot write", start("1h", freeze), ops.Actor{Platform: "local", ID: "vic"}, ops.StatusDenied},
		{"mute above the maximum", mute("48h"), writer, ops.StatusInvalid},
		{"mute negative", mute("-5m"), writer, ops.StatusInvalid},
		{"mute all", ops.Operation{Name: "ops.mute", Target: "all", Args: []ops.Arg{{Key: "duration", Value: "5m"}}}, writer, ops.StatusInvalid},
		{"stop without a window", ops.Operation{Name: "ops.maintenance", Args: []ops.Arg{{Key: "action", Value: "stop"}}}, writer, ops.StatusInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := run(t, o, tt.op, tt.who); status(err) != tt.want {
				t.Errorf("got %v (%s), want %s", err, status(err), tt.want)
			}
		})
	}
	ws, _ := s.Windows(context.Background(), "web-01", time.Now())
	ms, _ := s.Mutes(context.Background(), time.Now())
	if len(ws) != 0 || len(ms) != 0 || len(told) != 0 {
		t.Errorf("refused requests changed or announced something: %+v %+v %q", ws, ms, told)
	}

	// A freeze by a writer runs; a second window on the host conflicts.
	if _, err := run(t, o, start("1h", freeze), writer); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, o, start("1h"), writer); status(err) != ops.StatusConflict {
		t.Errorf("a second window: %v", err)
	}
	// A mute of 0 ends the mute early.
	if _, err := run(t, o, mute("10m"), writer); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Muted(context.Background(), "web-01", []string{"web"}, time.Now()); !ok {
		t.Fatal("not muted")
	}
	if _, err := run(t, o, mute("0"), writer); err != nil {
		t.Fatal(err)
	}
	// The window and the mute were told to the notify channels; ending a
	// mute silences nothing and is not.
	if len(told) != 2 || !strings.Contains(told[0], "local:olga started maintenance on web-01") ||
		!strings.Contains(told[1], "local:olga muted the alerts of web on web-01 until") {
		t.Errorf("announced %q", told)
	}
	if ok, _ := s.Muted(context.Background(), "web-01", []string{"web"}, time.Now()); ok {
		t.Error("mute 0 did not end the mute")
	}
}

// TestHoldEndsWithTheWindow: a window whose end time passes is summed up
// at the next check, without a stop.
func TestHoldEndsWithTheWindow(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	now := time.Now()
	if _, err := s.Start(ctx, Window{Host: "web-01", Start: now, End: now.Add(time.Minute), By: "local:alice"}); err != nil {
		t.Fatal(err)
	}
	inner := &fakeNotifier{}
	h := NewHold("test", inner, s, discard)
	h.now = func() time.Time { return now }
	if _, err := h.PostAlert(ctx, alertOf("web-01", "web", "FATAL")); err != nil {
		t.Fatal(err)
	}
	h.Check(ctx)
	if len(inner.posts) != 0 {
		t.Fatalf("posted during the window: %+v", inner.posts)
	}
	h.now = func() time.Time { return now.Add(time.Minute) }
	h.Check(ctx)
	if len(inner.posts) != 1 || inner.posts[0].Count != 1 {
		t.Errorf("want one summary of one alert: %+v", inner.posts)
	}
}
