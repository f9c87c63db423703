package catalog

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"2h", 2 * time.Hour, true},
		{"7d", 7 * Day, true},
		{"1d12h", 36 * time.Hour, true},
		{"0s", 0, true}, // zero: each caller says whether it means anything
		{"0d", 0, true},
		{"-1h", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"7days", 0, false},
		{"", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
