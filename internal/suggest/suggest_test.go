package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"autostart", "autorestart", "command", "stopsignal"}
	tests := []struct{ word, want string }{
		{"comand", "command"},
		{"autostrat", "autostart"},
		{"stopsignl", "stopsignal"},
		{"xyz", ""},
		{"restart", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.word, keys); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance = %d", d)
	}
}
