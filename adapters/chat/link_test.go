package chat

import (
	"errors"
	"testing"
	"time"
)

func TestLink(t *testing.T) {
	var l Link
	if ok, why := l.Status(); ok || why == nil || why.Error() != "not connected yet" {
		t.Fatalf("before any connection: %v, %v", ok, why)
	}
	l.Up()
	if ok, why := l.Status(); !ok || why != nil {
		t.Fatalf("up: %v, %v", ok, why)
	}
	l.Down(errors.New("closed by the server"))
	if ok, why := l.Status(); ok || why.Error() != "closed by the server" {
		t.Fatalf("down: %v, %v", ok, why)
	}
}

// TestBackoff: the wait doubles from least to most, jittered within its
// upper half; after a connection that worked it is at most least.
func TestBackoff(t *testing.T) {
	const least, most = 100 * time.Millisecond, time.Second
	for range 100 {
		if d := Backoff(least, most, 0); d < 0 || d > least {
			t.Fatalf("after a good connection: %v", d)
		}
		for failures, want := range map[int]time.Duration{1: least, 2: 2 * least, 3: 4 * least, 10: most} {
			if d := Backoff(least, most, failures); d < want/2 || d > want {
				t.Fatalf("after %d failures: %v, want within [%v, %v]", failures, d, want/2, want)
			}
		}
	}
}
