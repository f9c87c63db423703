package mattermost

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/golden"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// fixtures are the neutral results every chat adapter renders.
const fixtures = "../testdata/results"

func loadResult(t *testing.T, path string) ops.Result {
	t.Helper()
	var res ops.Result
	golden.Load(t, path, &res)
	return res
}

// goldenText is a rendered message as a golden file: the Markdown Mattermost
// shows, then its buttons.
func goldenText(m Message) []byte {
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
	golden.EachFixture(t, fixtures, func(t *testing.T, name, path string) {
		m := Render(loadResult(t, path))
		if n := utf8.RuneCountInString(m.Text); n > maxPostChars {
			t.Errorf("message is %d characters; Mattermost takes %d", n, maxPostChars)
		}
		golden.Check(t, filepath.Join("testdata", "golden", name+".md"), goldenText(m))
	})
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
