package textfit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateAndTail(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	if got := Truncate(s, 9); len(got) > 9 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("Truncate = %q", got)
	}
	if got := Truncate("short", 9); got != "short" {
		t.Errorf("Truncate kept %q", got)
	}
	got, cut := Tail("line one\nline two\nline three", 14)
	if !cut || got != "line three" {
		t.Errorf("Tail = %q %v", got, cut)
	}
	if got, cut := Tail(s, 5); !cut || !utf8.ValidString(got) {
		t.Errorf("Tail mid-character = %q", got)
	}
	if h, r := FirstLine("  head \nrest\n"); h != "head" || r != "rest" {
		t.Errorf("FirstLine = %q %q", h, r)
	}
	if FirstNonEmpty(" ", "", " x ") != "x" {
		t.Error("FirstNonEmpty")
	}
}
