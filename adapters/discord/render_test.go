package discord

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
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

func encode(t *testing.T, m Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkLimits fails when Discord would refuse m.
func checkLimits(t *testing.T, name string, m Message) {
	t.Helper()
	if err := discordfake.ValidateMessage(encode(t, m)); err != nil {
		t.Errorf("%s: Discord would refuse the message: %v", name, err)
	}
}

func TestRenderGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtures, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			m := Render(loadResult(t, path))
			checkLimits(t, name, m)
			got := encode(t, m)
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; run with -update and read the diff:\n%s", name, got)
			}
		})
	}
}

// TestRenderHuge renders results far beyond every limit and checks that
// Discord would still take them.
func TestRenderHuge(t *testing.T) {
	var procs []map[string]any
	dirs := map[string]string{}
	for i := range 3000 {
		procs = append(procs, map[string]any{"name": strings.Repeat("p", 60) + string(rune('a'+i%26)), "state": "FATAL",
			"description": strings.Repeat("x", 500)})
		dirs[strings.Repeat("k", 300)+string(rune('a'+i%26))+strings.Repeat("z", i%7)] = strings.Repeat("v", 2000)
	}
	long := strings.Repeat("a line of text that goes on ``` and on\n", 2000)
	for name, res := range map[string]ops.Result{
		"programs": {Status: ops.StatusOK, Operation: "supervisor.program.list", Message: strings.Repeat("t", 5000) + "\n" + long,
			Data: map[string]any{"programs": procs}},
		"show": {Status: ops.StatusOK, Operation: "supervisor.program.show", Message: "web",
			Data: map[string]any{"program": map[string]any{"name": "web", "file": strings.Repeat("/f", 2000), "directives": dirs, "processes": procs}}},
		"log":  {Status: ops.StatusOK, Operation: "supervisor.program.logs", Message: "log", Data: map[string]any{"log": map[string]any{"text": long}}},
		"text": {Status: ops.StatusFailed, Operation: "supervisor.program.add", Message: long},
		"approval": {Status: ops.StatusPending, Operation: "supervisor.program.restart", ApprovalID: "abc", Message: "x",
			Data: map[string]any{"approval": ops.Approval{ID: "abc", Summary: long, Op: ops.Operation{Name: "supervisor.program.restart", Target: strings.Repeat("n", 3000)}}}},
	} {
		t.Run(name, func(t *testing.T) { checkLimits(t, name, Render(res)) })
	}
}

func TestApprovalButtonsCarryTheCommand(t *testing.T) {
	m := Render(loadResult(t, filepath.Join(fixtures, "pending_restart.json")))
	var got discordfake.Msg
	if err := json.Unmarshal(encode(t, m), &got); err != nil {
		t.Fatal(err)
	}
	b := got.Buttons()
	if len(b) != 2 || b[0].CustomID != "pv:ops approve k3x9pq" || b[1].CustomID != "pv:ops deny k3x9pq" {
		t.Errorf("buttons: %+v", b)
	}
}
