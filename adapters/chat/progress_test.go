package chat

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestProgressCoalesces sends reports faster than a slow platform takes
// them: one update at a time, only the newest of those that waited, never
// more updates than reports, and the result last.
func TestProgressCoalesces(t *testing.T) {
	var (
		mu       sync.Mutex
		sent     []string
		inFlight int
		maxIn    int
		release  = make(chan struct{})
	)
	u := NewProgress(context.Background(), 0, func(_ context.Context, p ops.Progress) {
		mu.Lock()
		inFlight++
		maxIn = max(maxIn, inFlight)
		sent = append(sent, p.Title)
		first := len(sent) == 1
		mu.Unlock()
		if first {
			<-release // the first update is slow: the others pile up
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	u.Watch(ops.Progress{Title: "r0"})
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(sent) == 1 })
	for i := 1; i <= 5; i++ {
		u.Watch(ops.Progress{Title: fmt.Sprint("r", i)})
	}
	close(release)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(sent) == 2 })
	var final string
	u.Finish(context.Background(), func(context.Context) { final = "result" })
	u.Watch(ops.Progress{Title: "late"}) // after the end: ignored
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"r0", "r5"}; fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if maxIn != 1 || final != "result" {
		t.Errorf("in flight at once %d, final %q", maxIn, final)
	}
}

// TestProgressGap keeps updates a gap apart, and Finish waits the gap too.
func TestProgressGap(t *testing.T) {
	const gap = 80 * time.Millisecond
	var (
		mu    sync.Mutex
		times []time.Time
	)
	u := NewProgress(context.Background(), gap, func(context.Context, ops.Progress) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
	})
	u.Watch(ops.Progress{Title: "a"})
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(times) == 1 })
	u.Watch(ops.Progress{Title: "b"})
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(times) == 2 })
	u.Finish(context.Background(), func(context.Context) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
	})
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d < gap {
			t.Errorf("update %d came %s after the one before, want at least %s", i, d, gap)
		}
	}
}

// TestProgressFinishWithoutReports calls final at once.
func TestProgressFinishWithoutReports(t *testing.T) {
	u := NewProgress(context.Background(), time.Hour, func(context.Context, ops.Progress) { t.Error("sent") })
	called := false
	u.Finish(context.Background(), func(context.Context) { called = true })
	if !called || u.Watched() {
		t.Errorf("final called %v, watched %v", called, u.Watched())
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStepLines draws a run's steps and foot.
func TestStepLines(t *testing.T) {
	s := Style{States: map[string]string{"RUNNING": "+", "STARTING": "~", "STOPPED": ".", "FATAL": "!", "EXITED": "-", "UNKNOWN": "?"},
		Escape: func(s string) string { return s }, Bold: func(s string) string { return "*" + s + "*" },
		Code: func(s string) string { return "`" + s + "`" }}
	p := ops.Progress{RunID: "r1", Title: "Rolling restart of q:* on web1", ElapsedMS: 2340, Steps: []ops.Step{
		{Name: "batch 1", Items: []string{"q:0", "q:1"}, State: ops.StepDone},
		{Name: "batch 2", Items: []string{"q:2"}, State: ops.StepRunning},
		{Name: "batch 3", Items: []string{"q:3"}, State: ops.StepWaiting},
	}}
	if got, want := s.ProgressHead(p), "*Rolling restart of q:* on web1* · 1/3 done · 2.3s elapsed"; got != want {
		t.Errorf("head %q, want %q", got, want)
	}
	if got, want := s.StepLine(p.Steps[1]), "~ *batch 2* running: q:2"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	if got, want := s.ProgressFoot(p), "Run `r1` · next: batch 3 · `/ops cancel r1` stops it before its next step"; got != want {
		t.Errorf("foot %q, want %q", got, want)
	}
	p.CancelledBy = "slack:U1"
	if got, want := s.ProgressFoot(p), "Run `r1` · cancelling after this step (by slack:U1)"; got != want {
		t.Errorf("foot %q, want %q", got, want)
	}
}
