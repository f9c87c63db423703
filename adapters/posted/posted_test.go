package posted

import (
	"testing"
	"time"
)

func TestTracker(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tr := New[string](func() time.Time { return now })
	tr.Add("a1", "C1/1")
	tr.Add("a1", "C2/7")
	tr.Add("old", "C1/2")
	if got := tr.Take("a1"); len(got) != 2 || got[1] != "C2/7" {
		t.Errorf("Take = %v", got)
	}
	if got := tr.Take("a1"); got != nil {
		t.Errorf("second Take = %v", got)
	}
	now = now.Add(Memory + time.Minute)
	tr.Add("new", "C1/3") // forgets what expired
	if got := tr.Take("old"); got != nil {
		t.Errorf("expired entry kept: %v", got)
	}
}
