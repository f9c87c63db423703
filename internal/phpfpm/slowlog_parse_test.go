package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// dumpSlow is the fixtures' form of parsed entries.
func dumpSlow(entries []slowEntry, skipped int) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s pool=%s pid=%d %s\n", e.at.Format(time.DateTime), e.pool, e.pid, e.script)
		for _, f := range e.stack {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	fmt.Fprintf(&b, "skipped %d\n", skipped)
	return b.String()
}

// TestParseSlowlogFixtures reads testdata/slowlog/*.txt: a slow log (or
// the end of one), then a line "----- want" and the entries it holds.
// php82-real.txt is what php-fpm 8.2 wrote; the others are cut and
// interleaved by hand as a read from an offset, a killed master or several
// masters sharing a file leave them.
func TestParseSlowlogFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/slowlog/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), "----- want\n")
			if !ok {
				t.Fatal("no ----- want line")
			}
			if got := dumpSlow(parseSlowlog([]byte(input), time.UTC)); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestParseSlowlogEdges(t *testing.T) {
	entry := "\n[04-Dec-2026 22:41:07]  [pool api] pid 311\nscript_filename = /a.php\n[0x00007f0a1c014120] sleep() /a.php:5\n"
	tests := []struct {
		name, input string
		entries     int
		skipped     int
	}{
		{"empty", "", 0, 0},
		{"no newline at all", "[04-Dec-2026 22:41:07]  [pool api] pid 311", 0, 0},
		{"whole", entry, 1, 0},
		// The last line is being written: its number may be cut (:5 of :57).
		{"last line without its newline", entry + "[0x00007f0a1c0140c0] main() /a.php:5", 1, 0},
		{"header cut mid-line", entry + "\n[04-Dec-2026 22:41:", 1, 0},
		{"crlf is not php-fpm's", strings.ReplaceAll(entry, "\n", "\r\n"), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, skipped := parseSlowlog([]byte(tt.input), time.UTC)
			if len(entries) != tt.entries || skipped != tt.skipped {
				t.Errorf("%d entries, %d skipped; want %d, %d\n%s", len(entries), skipped, tt.entries, tt.skipped, dumpSlow(entries, skipped))
			}
			for _, e := range entries {
				if e.stack[0] != "sleep() /a.php:5" || len(e.stack) != 1 {
					t.Errorf("stack %q", e.stack)
				}
			}
		})
	}
}

func TestGroupSlow(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 12, 4, 10, min, 0, 0, time.UTC) }
	e := func(min int, script string, stack ...string) slowEntry {
		return slowEntry{at: at(min), pool: "www", script: script, stack: stack}
	}
	got := groupSlow([]slowEntry{
		e(1, "/a.php", "sleep() /a.php:2", "old() /a.php:9"),
		e(2, "/b.php", "fread() /b.php:4"),
		e(3, "/a.php", "sleep() /a.php:2", "new() /a.php:10"),
		e(4, "/a.php", "usleep() /a.php:3"),
		e(5, "/c.php", "fread() /c.php:1"),
		e(2, "/a.php", "sleep() /a.php:2", "older() /a.php:8"), // an earlier time later in the file
	})
	want := []ops.SlowlogEntry{
		{Script: "/a.php", TopFrame: "sleep() /a.php:2", Count: 3, LastSeen: at(3), Stack: []string{"sleep() /a.php:2", "new() /a.php:10"}},
		{Script: "/c.php", TopFrame: "fread() /c.php:1", Count: 1, LastSeen: at(5), Stack: []string{"fread() /c.php:1"}},
		{Script: "/a.php", TopFrame: "usleep() /a.php:3", Count: 1, LastSeen: at(4), Stack: []string{"usleep() /a.php:3"}},
		{Script: "/b.php", TopFrame: "fread() /b.php:4", Count: 1, LastSeen: at(2), Stack: []string{"fread() /b.php:4"}},
	}
	if !slices.EqualFunc(got, want, func(a, b ops.SlowlogEntry) bool {
		return a.Script == b.Script && a.TopFrame == b.TopFrame && a.Count == b.Count && a.LastSeen.Equal(b.LastSeen) && slices.Equal(a.Stack, b.Stack)
	}) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
