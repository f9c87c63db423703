package golden

import (
	"path/filepath"
	"testing"
)

func TestJSONKeepsMarkupAndIndents(t *testing.T) {
	got := string(JSON(t, map[string]string{"a": "<b>&"}))
	if want := "{\n  \"a\": \"<b>&\"\n}\n"; got != want {
		t.Errorf("JSON = %q, want %q", got, want)
	}
}

func TestLineDiff(t *testing.T) {
	got := LineDiff("a\nb\nc", "a\nc\nd")
	if want := "- b\n+ d\n"; got != want {
		t.Errorf("LineDiff = %q, want %q", got, want)
	}
	if got := LineDiff("same\n", "same\n"); got != "" {
		t.Errorf("LineDiff of equal texts = %q", got)
	}
}

// recorder is a testing.TB that keeps what Check says instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               { r.TB.Helper() }
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; r.TB.SkipNow() }
func (r *recorder) Fatal(...any)          { r.failed = true; r.TB.SkipNow() }

func TestCheckComparesAndUpdates(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "x.golden")
	t.Run("missing", func(t *testing.T) {
		r := &recorder{TB: t}
		Check(r, file, []byte("one\n"))
		if !r.failed {
			t.Error("a missing golden file passed")
		}
	})
	*update = true
	r := &recorder{TB: t}
	Check(r, file, []byte("one\n"))
	*update = false
	if r.failed {
		t.Fatal("-update did not write the golden file")
	}
	Check(r, file, []byte("one\n"))
	if r.failed {
		t.Error("the same content differs from its golden file")
	}
	Check(r, file, []byte("two\n"))
	if !r.failed {
		t.Error("other content passed against the golden file")
	}
}
