package discord

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
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

func encode(t *testing.T, m Message) []byte {
	t.Helper()
	return golden.JSON(t, m)
}

// checkLimits fails when Discord would refuse m.
func checkLimits(t *testing.T, name string, m Message) {
	t.Helper()
	if err := discordfake.ValidateMessage(encode(t, m)); err != nil {
		t.Errorf("%s: Discord would refuse the message: %v", name, err)
	}
}

func TestRenderGolden(t *testing.T) {
	golden.EachFixture(t, fixtures, func(t *testing.T, name, path string) {
		m := Render(loadResult(t, path))
		checkLimits(t, name, m)
		golden.Check(t, filepath.Join("testdata", "golden", name+".json"), encode(t, m))
	})
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
				if !strings.Contains(all, `+env[DB_PASSWORD] = ••••\n`) {
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

func programList(n int) func(string) (ops.Status, string, any) {
	return func(h string) (ops.Status, string, any) {
		procs := make([]map[string]any, n)
		for i := range procs {
			procs[i] = map[string]any{"name": fmt.Sprintf("worker_%03d", i), "state": "RUNNING", "pid": 100 + i, "uptime_seconds": 4000}
		}
		procs[0]["state"], procs[0]["pid"], procs[0]["spawnerr"] = "FATAL", 0, "Exited too quickly"
		return ops.StatusOK, fmt.Sprintf("%d process(es) on %s:", n, h), map[string]any{"programs": procs}
	}
}

func TestRenderHostsNamesEveryHost(t *testing.T) {
	logs := func(h string) (ops.Status, string, any) {
		text := strings.Repeat("an older line of the log <&> * _\n", 200) + "the newest line on " + h + "\n"
		return ops.StatusOK, "Last bytes of web's stdout log on " + h + ":\n" + text,
			map[string]any{"log": map[string]any{"name": "web", "stream": "stdout", "text": text}}
	}
	tests := []struct {
		name   string
		res    ops.Result
		embeds int  // one for the headline, then one a host; 1: a list of hosts
		every  bool // every host is named, none only counted
	}{
		{"60 hosts, 2 failed", fixture(t, "fleet_status_many"), 1, true},
		{"3 hosts, 1 unreachable", fixture(t, "fleet_status_all"), 4, true},
		{"9 hosts of 100 processes", fleettest.Combine("supervisor.program.list", fleettest.Names("h", 9), programList(100)), 10, true},
		{"9 logs", fleettest.Combine("supervisor.program.logs", fleettest.Names("h", 9), logs), 10, true},
		{"10 hosts", fleettest.Combine("supervisor.program.list", fleettest.Names("h", 10), programList(3)), 1, true},
		{"900 hosts, every tenth unreachable", fleettest.Combine("supervisor.program.list", fleettest.Names("h", 900), func(h string) (ops.Status, string, any) {
			if strings.HasSuffix(h, "0") {
				return ops.StatusFailed, "host unreachable: no agent for " + h + " is connected", map[string]any{}
			}
			return programList(2)(h)
		}), 1, false},
		{"a group edit with diffs", withDiffs(fleettest.Combine("supervisor.program.edit", fleettest.Names("web-", 4), func(h string) (ops.Status, string, any) {
			return ops.StatusOK, "Updated web on " + h + ".", map[string]any{}
		}), manyDiffs(4, 40)), 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.res)
			checkLimits(t, tt.name, m)
			if embedTotal(m.Embeds) > maxEmbedTotal-diffReserve {
				t.Errorf("%d characters leave no room for the attribution", embedTotal(m.Embeds))
			}
			checkLimits(t, tt.name+" (attributed)", attribute(m, ops.Actor{Platform: "discord", ID: "1", Name: strings.Repeat("n", 100)}, strings.Repeat("/c", 200)))
			if len(m.Embeds) != tt.embeds {
				t.Errorf("%d embeds, want %d", len(m.Embeds), tt.embeds)
			}
			all := string(encode(t, m))
			parts := view.Hosts(tt.res)
			var names []string
			for _, p := range parts {
				names = append(names, p.Host)
				if tt.every && !strings.Contains(all, p.Host) {
					t.Errorf("%s is not named", p.Host)
				}
			}
			if n := fleettest.NamedOrCounted(all, names); n < len(names) {
				t.Errorf("%d of %d hosts are named or counted", n, len(names))
			}
			for i, e := range m.Embeds {
				if strings.Count(e.Description, "```")%2 != 0 {
					t.Errorf("embed %d leaves a code block open:\n%s", i, e.Description)
				}
				if tt.res.Operation == "supervisor.program.logs" && i > 0 && !strings.Contains(e.Description, "the newest line on") {
					t.Errorf("a cut log lost its newest line:\n%s", e.Description)
				}
			}
		})
	}
}

func fixture(t *testing.T, name string) ops.Result {
	return loadResult(t, filepath.Join(fixtures, name+".json"))
}

func TestRenderHostsAnEmbedEach(t *testing.T) {
	m := Render(fixture(t, "fleet_status_all"))
	var titles []string
	for _, e := range m.Embeds {
		titles = append(titles, e.Title)
	}
	want := []string{"❌ 1 of 3 hosts did not answer or failed (web-02).", "🔌 web-02", "🟠 web-03", "✅ web-01"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Errorf("titles = %q, want %q", titles, want)
	}
	if m.Embeds[1].Color != colourFailed || m.Embeds[2].Color != colourOK {
		t.Errorf("a host's embed is not coloured by its status")
	}
	// The host's answer is drawn as for one host: its process lines, its states.
	if e := m.Embeds[2]; !strings.Contains(e.Description, "🟠 **scheduler** `BACKOFF`") || len(e.Fields) != 1 || e.Fields[0].Name != "States" {
		t.Errorf("web-03 is not drawn as a process list: %+v", e)
	}

	// Cut to share the message, each list says so and keeps its first lines.
	m = Render(fleettest.Combine("supervisor.program.list", fleettest.Names("h", 9), programList(100)))
	for _, e := range m.Embeds[1:] {
		if !strings.Contains(e.Description, "🔴 **worker\\_000** `FATAL`") || !strings.Contains(e.Description, "shows all of it.*") {
			t.Errorf("a cut list lost its first lines or its note:\n%s", e.Description)
		}
	}
}

func TestRenderHostsListsHostsALineEach(t *testing.T) {
	m := Render(fixture(t, "fleet_status_many"))
	d := m.Embeds[0].Description
	for _, want := range []string{"🔌 **web-17** — host unreachable: no agent for web-17 is connected\n❌ **worker-05** — supervisord at",
		"🔴 **worker-12** — 6 processes: 1 FATAL, 5 RUNNING\n✅ **web-01** — 6 processes, all RUNNING"} {
		if !strings.Contains(d, want) {
			t.Errorf("no %q in\n%s", want, d)
		}
	}
	if m.Embeds[0].Footer == nil || !strings.Contains(m.Embeds[0].Footer.Text, "--host NAME") {
		t.Errorf("no footer saying how to see one host")
	}
}

func TestRenderOpsHosts(t *testing.T) {
	m := Render(fixture(t, "ops_hosts_fleet"))
	checkLimits(t, "ops hosts", m)
	e := m.Embeds[0]
	if len(e.Fields) != 4 || e.Fields[0].Name != "🔴 web-02" || e.Fields[1].Name != "🟠 web-03" {
		t.Fatalf("fields: %s", encode(t, m))
	}
	for _, want := range []string{"unreachable · `1.4.0`", "seen <t:1795693277:R>", "🔔 1 open alert", "no answer from web-02 within 5s"} {
		if !strings.Contains(e.Fields[0].Value, want) {
			t.Errorf("no %q in %q", want, e.Fields[0].Value)
		}
	}
	if strings.Contains(e.Description, "LAST SEEN") {
		t.Errorf("the plain-text table is shown too")
	}

	var infos []ops.HostInfo
	names := fleettest.Names("h", 400)
	for i, n := range names {
		infos = append(infos, ops.HostInfo{Name: n, Healthy: i%7 != 0, Version: "1.4.0",
			Components: []ops.Component{{Name: "supervisord", OK: true, Info: strings.Repeat("x", 300)}}})
	}
	for _, n := range []int{24, 400} {
		big := Render(ops.Result{Status: ops.StatusOK, Operation: "ops.hosts", Message: "All hosts answer.", Data: map[string]any{"hosts": infos[:n]}})
		checkLimits(t, fmt.Sprint(n, " hosts"), big)
		if c := fleettest.NamedOrCounted(string(encode(t, big)), names[:n]); c < n {
			t.Errorf("%d of %d hosts are named or counted", c, n)
		}
	}
}

func TestShrinkEmbedMendsCodeBlocks(t *testing.T) {
	text := "head\n```\none\ntwo\nthree\n```\ntail"
	tests := []struct {
		name    string
		max     int
		keepEnd bool
		want    string
	}{
		{"all fits", 100, false, text},
		{"cut in the block: closed", 22, false, "head\n```\none\ntwo\n```"},
		{"from the end, cut in the block: opened", 22, true, "```\nthree\n```\ntail"},
		{"nothing fits", 3, false, ""},
	}
	for _, tt := range tests {
		if got := cutLines(text, tt.max, tt.keepEnd); got != tt.want || len(got) > tt.max {
			t.Errorf("%s: cutLines = %q, want %q", tt.name, got, tt.want)
		}
	}
	e := &discordgo.MessageEmbed{Title: "✅ web-01", Description: strings.Repeat("a line\n", 500),
		Fields: []*discordgo.MessageEmbedField{{Name: "States", Value: "🟢 500 RUNNING"}}}
	shrinkEmbed(e, 400, view.HostPart{Host: "web-01"})
	if n := embedTotal([]*discordgo.MessageEmbed{e}); n > 400 || len(e.Fields) != 1 || !strings.HasSuffix(e.Description, "`--host web-01` shows all of it.*") {
		t.Errorf("shrinkEmbed: %d characters, %d fields, %q", n, len(e.Fields), e.Description)
	}
}

// TestRenderLogKeepsNewestLinesWithFences: a log full of ``` (Markdown in
// a worker's output) still ends with its newest line.
func TestRenderLogKeepsNewestLinesWithFences(t *testing.T) {
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "line %03d ```js\n", i)
	}
	b.WriteString("the newest line\n")
	res := ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.logs", Message: "log of web",
		Data: map[string]any{"log": map[string]any{"program": "web", "text": b.String()}}}
	m := Render(res)
	desc := m.Embeds[0].Description
	if !strings.Contains(desc, "the newest line") {
		t.Errorf("the newest line is cut:\n…%s", desc[max(0, len(desc)-200):])
	}
	if strings.Count(desc, "```") != 2 {
		t.Errorf("the log's fences end the code block early")
	}
}
