package discord

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
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

// manyDiffs returns n diffs of lines changed lines each.
func manyDiffs(n, lines int) []ops.Diff {
	out := make([]ops.Diff, n)
	for i := range out {
		path := fmt.Sprintf("/etc/supervisor/conf.d/p%02d.conf", i)
		var b strings.Builder
		fmt.Fprintf(&b, "--- a%s\n+++ b%s\n@@ -1,%d +1,%d @@\n", path, path, lines, lines)
		for j := range lines {
			fmt.Fprintf(&b, "-old line %d of %d ```\n+new line %d of %d\n", j, i, j, i)
		}
		out[i] = ops.Diff{Path: path, Text: b.String(), Added: lines, Removed: lines}
	}
	return out
}

// withDiffs is a write's result as the core makes it: the diffs, and their
// text after the message.
func withDiffs(res ops.Result, diffs []ops.Diff) ops.Result {
	res.Diffs = diffs
	for _, d := range diffs {
		res.Message += "\n" + d.Text
	}
	res.Message = strings.TrimRight(res.Message, "\n")
	return res
}

func TestRenderDiffs(t *testing.T) {
	fixture := func(name string) ops.Result { return loadResult(t, filepath.Join(fixtures, name+".json")) }
	tests := []struct {
		name  string
		res   ops.Result
		check func(t *testing.T, m Message, all string)
	}{
		{"the diff is shown once, in an embed of its own", fixture("edit_with_diff"),
			func(t *testing.T, m Message, all string) {
				if n := strings.Count(all, "+pm.max_children = 12"); n != 1 {
					t.Errorf("the changed line is shown %d times", n)
				}
				if len(m.Embeds) != 2 || m.Embeds[1].Title != "/etc/php/8.2/fpm/pool.d/api.conf · +2 −2" ||
					!strings.HasPrefix(m.Embeds[1].Description, "```diff\n") {
					t.Errorf("no diff embed with the path and the counts: %s", all)
				}
			}},
		{"a masked secret stays masked", fixture("secret_diff"),
			func(t *testing.T, m Message, all string) {
				if !strings.Contains(all, `+env[DB_PASSWORD] = [masked]\n`) {
					t.Errorf("the masked line is not shown as masked:\n%s", all)
				}
			}},
		{"a long diff counts what it leaves out", fixture("long_diff"),
			func(t *testing.T, m Message, all string) {
				total := len(strings.Split(strings.TrimRight(fixture("long_diff").Diffs[0].Text, "\n"), "\n"))
				_, code, _ := strings.Cut(m.Embeds[1].Description, "```diff\n")
				code, _, _ = strings.Cut(code, "\n```")
				shown := len(strings.Split(code, "\n"))
				if want := fmt.Sprintf("… %d more lines not shown", total-shown); !strings.Contains(all, want) {
					t.Errorf("showing %d of %d lines, want the note %q", shown, total, want)
				}
			}},
		{"the approver sees the diff", fixture("pending_edit_with_diff"),
			func(t *testing.T, m Message, all string) {
				if n := strings.Count(all, "+numprocs = 4"); n != 1 {
					t.Errorf("the approval request shows the changed line %d times", n)
				}
				if !strings.Contains(all, `"pv:ops approve `) {
					t.Errorf("no buttons")
				}
			}},
		{"many files are counted", withDiffs(ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.rollback", Message: "Rolled back."}, manyDiffs(30, 3)),
			func(t *testing.T, m Message, all string) {
				if !strings.Contains(all, "…and 21 more files change (+63 −63), not shown") {
					t.Errorf("files left out are not counted: %s", all)
				}
			}},
		{"an approval with huge diffs keeps its buttons", withDiffs(ops.Result{Status: ops.StatusPending, Operation: "supervisor.program.edit",
			ApprovalID: "abc", Message: "Approval required",
			Data: map[string]any{"approval": ops.Approval{ID: "abc", Op: ops.Operation{Name: "supervisor.program.edit", Target: "x"},
				Requester: ops.Actor{Platform: "discord", ID: "1"}, Summary: strings.Repeat("edit x\n", 2000)}}}, manyDiffs(3, 400)),
			func(t *testing.T, m Message, all string) {
				if !strings.Contains(all, `"pv:ops approve abc"`) || strings.Count(all, "more lines not shown") != 3 {
					t.Errorf("buttons or a cut note are missing: %s", all)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.res)
			checkLimits(t, tt.name, m)
			if embedTotal(m.Embeds) > maxEmbedTotal-diffReserve {
				t.Errorf("%d characters leave no room for the attribution", embedTotal(m.Embeds))
			}
			checkLimits(t, tt.name+" (attributed)", attribute(m, ops.Actor{Platform: "discord", ID: "1", Name: strings.Repeat("n", 100)}, strings.Repeat("/c", 200)))
			tt.check(t, m, string(encode(t, m)))
		})
	}
}
