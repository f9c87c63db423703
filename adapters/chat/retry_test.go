package chat

import (
	"errors"
	"testing"
	"time"
)

// TestRetry: a refusal for a rate limit is made again up to Retries times;
// a wait longer than MaxWait, or an error of another kind, is returned at once.
func TestRetry(t *testing.T) {
	limited := errors.New("429")
	l := RetryLimits{Retries: 3, MaxWait: time.Second}
	for _, tc := range []struct {
		name      string
		wait      time.Duration
		err       error
		wantCalls int
	}{
		{"limited every time", time.Nanosecond, limited, 4},
		{"asked to wait too long", 2 * time.Second, limited, 1},
		{"another error", 0, errors.New("500"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls, waits := 0, 0
			err := l.Retry(t.Context(), func() (time.Duration, error) { calls++; return tc.wait, tc.err },
				func(time.Duration) { waits++ })
			if !errors.Is(err, tc.err) || calls != tc.wantCalls || waits != tc.wantCalls-1 {
				t.Errorf("err %v, %d calls, %d waits; want %v, %d calls", err, calls, waits, tc.err, tc.wantCalls)
			}
		})
	}
}
