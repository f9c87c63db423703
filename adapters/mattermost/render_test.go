package mattermost

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/ops"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixtures are the neutral results every chat adapter renders.
const fixtures = "../testdata/results"

func loadResult(t *testing.T, path string) ops.Result {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res ops.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res
}

// golden is a rendered message as a golden file: the Markdown Mattermost
// shows, then its buttons.
func golden(m Message) []byte {
	var b strings.Builder
	b.WriteString(m.Text)
	b.WriteString("\n")
	for _, btn := range m.Buttons {
		b.WriteString("\n[button " + btn.Label + " (" + btn.Style + ") runs: " + btn.Command + "]")
	}
	if len(m.Buttons) > 0 {
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func TestRenderGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			m := Render(loadResult(t, path))
			if n := utf8.RuneCountInString(m.Text); n > maxPostChars {
				t.Errorf("message is %d characters; Mattermost takes %d", n, maxPostChars)
			}
			got := golden(m)
			file := filepath.Join("testdata", "golden", name+".md")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("rendering differs from %s (run with -update and read the diff):\n%s", file, got)
			}
		})
	}
}

func TestRenderEscapesWhatComesFromOutside(t *testing.T) {
	res := ops.Result{Status: ops.StatusFailed, Operation: "supervisor.program.start",
		Message: "could not start *web* | @channel [x](http://evil)"}
	m := Render(res)
	for _, bad := range []string{"*web*", "@channel", "[x](http://evil)", " | @"} {
		if strings.Contains(m.Text, bad) {
			t.Errorf("%q reaches Markdown unescaped:\n%s", bad, m.Text)
		}
	}
}

func TestFitCutsLongResults(t *testing.T) {
	long := strings.Repeat("a line of prose that is long enough\n", 2000)
	m := Render(ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.logs", Message: "head\n" + long})
	if n := utf8.RuneCountInString(m.Text); n > maxPostChars {
		t.Fatalf("message is %d characters; Mattermost takes %d", n, maxPostChars)
	}
	if !strings.HasSuffix(m.Text, cutNote) || strings.Count(m.Text, "```") != 2 {
		t.Errorf("a cut message keeps its code block closed and says it was cut:\n…%s", m.Text[len(m.Text)-300:])
	}
}
