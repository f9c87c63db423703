package slack

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/command"
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

// checkLimits fails when Slack would refuse m.
func checkLimits(t *testing.T, name string, m Message) {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := slackfake.ValidateBlocks(raw, false); err != nil {
		t.Errorf("%s: Slack would refuse the blocks: %v", name, err)
	}
	if m.Text == "" || len(m.Text) > maxFallbackText {
		t.Errorf("%s: fallback text of %d bytes", name, len(m.Text))
	}
}

func TestRenderGolden(t *testing.T) {
	golden.EachFixture(t, fixtures, func(t *testing.T, name, path string) {
		m := Render(loadResult(t, path))
		checkLimits(t, name, m)
		golden.Check(t, filepath.Join("testdata", "golden", name+".json"), golden.JSON(t, m))
	})
}

func manyPrograms(n int) []ops.Process {
	states := []string{"RUNNING", "RUNNING", "RUNNING", "STOPPED", "FATAL", "BACKOFF", "EXITED", "STARTING", "STOPPING", "UNKNOWN"}
	procs := make([]ops.Process, n)
	for i := range procs {
		s := states[i%len(states)]
		procs[i] = ops.Process{Name: fmt.Sprintf("worker-%03d:worker-%03d_%02d", i/4, i/4, i%4), Group: fmt.Sprintf("worker-%03d", i/4),
			State: s, Description: strings.Repeat("a very long description <&> ", 20)}
		if s == "RUNNING" {
			procs[i].PID, procs[i].Uptime = 1000+i, int64(i*37)
		}
	}
	return procs
}

func TestRenderStaysWithinLimits(t *testing.T) {
	bigLog := strings.Repeat("2026-11-26 12:00:00 INFO job done <ok> & ``` fenced ```\n", (256<<10)/56+1)
	long := strings.Repeat("x", 10000)
	tests := []struct {
		name  string
		res   ops.Result
		check func(t *testing.T, m Message)
	}{
		{"500 programs", ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.list",
			Message: "500 process(es) on web-01:\n" + strings.Repeat("  worker RUNNING\n", 500),
			Data:    ops.ProgramList{Programs: manyPrograms(500)}},
			func(t *testing.T, m Message) {
				all := blocksText(t, m)
				if !strings.Contains(all, "and 440 more") {
					t.Errorf("a cut list does not say how many are left out")
				}
				fatal, running := strings.Index(all, ":red_circle: *"), strings.Index(all, ":large_green_circle: *")
				if fatal < 0 || (running >= 0 && running < fatal) {
					t.Errorf("a cut list does not show failed processes first")
				}
			}},
		{"256 KB log", ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.logs",
			Message: "Last 262144 bytes of web's stdout log on web-01:\n" + bigLog,
			Data:    map[string]any{"log": map[string]any{"name": "web", "stream": "stdout", "bytes": len(bigLog), "truncated": true, "text": bigLog}}},
			func(t *testing.T, m Message) {
				all := blocksText(t, m)
				if !strings.Contains(all, "Earlier lines are cut") {
					t.Errorf("a cut log has no note")
				}
				if strings.Contains(all, "```\\n```") || strings.Count(all, "fenced ```") > 0 {
					t.Errorf("log text closes its code block early")
				}
			}},
		{"huge free text", ops.Result{Status: ops.StatusFailed, Operation: "supervisor.service.update",
			Message: long + "\n" + strings.Repeat(long+"\n", 30)}, nil},
		{"huge program show", ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.show",
			Message: "Program big", Data: map[string]any{"program": ops.Program{Name: "big",
				Directives: map[string]string{"command": long, "environment": long}, Processes: manyPrograms(300)}}}, nil},
		{"many pools", ops.Result{Status: ops.StatusOK, Operation: "fpm.pool.list", Message: "pools",
			Data: map[string]any{"pools": func() []map[string]string {
				var p []map[string]string
				for i := range 400 {
					p = append(p, map[string]string{"name": fmt.Sprint("pool", i), "pm": "dynamic", "listen": long[:200]})
				}
				return p
			}()}}, nil},
		{"approval with a huge plan", ops.Result{Status: ops.StatusPending, Operation: "supervisor.program.delete",
			ApprovalID: "abc", Message: "Approval required",
			Data: map[string]any{"approval": ops.Approval{ID: "abc", Op: ops.Operation{Name: "supervisor.program.delete", Target: "x"},
				Requester: ops.Actor{Platform: "slack", ID: "U1"}, Summary: strings.Repeat(long+"\n", 20)}}},
			func(t *testing.T, m Message) {
				if !strings.Contains(blocksText(t, m), `"ops approve abc"`) {
					t.Errorf("the buttons were cut from a long approval request")
				}
			}},
		{"empty message", ops.Result{Status: ops.StatusOK, Operation: "ops.whoami"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.res)
			checkLimits(t, tt.name, m)
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func blocksText(t *testing.T, m Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestEscapeAndQuote(t *testing.T) {
	tests := []struct{ in, escaped, quoted string }{
		{"plain", "plain", "'plain'"},
		{"<!channel> & co", "&lt;!channel&gt; &amp; co", "'<!channel> & co'"},
		{"it's", "it's", `'it'\''s'`},
		{"", "", "''"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.escaped {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.escaped)
		}
		if got := command.Quote(tt.in); got != tt.quoted {
			t.Errorf("command.Quote(%q) = %q, want %q", tt.in, got, tt.quoted)
		}
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
			fmt.Fprintf(&b, "-old line %d of %d <&> ```\n+new line %d of %d\n", j, i, j, i)
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
	tests := []struct {
		name  string
		res   ops.Result
		check func(t *testing.T, m Message, all string)
	}{
		{"the diff is shown once, on its own", loadResult(t, filepath.Join(fixtures, "edit_with_diff.json")),
			func(t *testing.T, m Message, all string) {
				if n := strings.Count(all, "+pm.max_children = 12"); n != 1 {
					t.Errorf("the changed line is shown %d times", n)
				}
				if !strings.Contains(all, "`/etc/php/8.2/fpm/pool.d/api.conf` · *+2 −2*") {
					t.Errorf("no header line with the path and the counts")
				}
			}},
		{"a masked secret stays masked", loadResult(t, filepath.Join(fixtures, "secret_diff.json")),
			func(t *testing.T, m Message, all string) {
				if !strings.Contains(all, `+env[DB_PASSWORD] = ••••\n`) {
					t.Errorf("the masked line is not shown as masked:\n%s", all)
				}
			}},
		{"a long diff counts what it leaves out", loadResult(t, filepath.Join(fixtures, "long_diff.json")),
			func(t *testing.T, m Message, all string) {
				res := loadResult(t, filepath.Join(fixtures, "long_diff.json"))
				total := len(strings.Split(strings.TrimRight(res.Diffs[0].Text, "\n"), "\n"))
				shown := 0
				for _, b := range m.Blocks {
					if s, ok := b.(*slackgo.SectionBlock); ok && strings.Contains(s.Text.Text, "```") && strings.Contains(s.Text.Text, "job ") {
						_, code, _ := strings.Cut(s.Text.Text, "```\n")
						code, _, _ = strings.Cut(code, "\n```")
						shown += len(strings.Split(code, "\n"))
					}
				}
				if want := fmt.Sprintf("… %d more lines not shown", total-shown); shown == 0 || !strings.Contains(all, want) {
					t.Errorf("showing %d of %d lines, want the note %q", shown, total, want)
				}
			}},
		{"the approver sees the diff", loadResult(t, filepath.Join(fixtures, "pending_edit_with_diff.json")),
			func(t *testing.T, m Message, all string) {
				if n := strings.Count(all, "+numprocs = 4"); n != 1 {
					t.Errorf("the approval request shows the changed line %d times", n)
				}
				if !strings.Contains(all, `"pv:approve"`) {
					t.Errorf("no buttons")
				}
			}},
		{"many files are counted", withDiffs(ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.rollback", Message: "Rolled back."}, manyDiffs(80, 3)),
			func(t *testing.T, m Message, all string) {
				if !strings.Contains(all, "…and ") || !strings.Contains(all, "more files change (+") {
					t.Errorf("files left out are not counted")
				}
				if len(m.Blocks) > maxMessageBlocks-reservedBlocks {
					t.Errorf("%d blocks leave no room for the attribution", len(m.Blocks))
				}
			}},
		{"an approval with huge diffs keeps its buttons", withDiffs(ops.Result{Status: ops.StatusPending, Operation: "supervisor.program.edit",
			ApprovalID: "abc", Message: "Approval required",
			Data: map[string]any{"approval": ops.Approval{ID: "abc", Op: ops.Operation{Name: "supervisor.program.edit", Target: "x"},
				Requester: ops.Actor{Platform: "slack", ID: "U1"}, Summary: "edit x"}}}, manyDiffs(60, 400)),
			func(t *testing.T, m Message, all string) {
				if !strings.Contains(all, `"ops approve abc"`) || !strings.Contains(all, "more lines not shown") {
					t.Errorf("buttons or the cut note are missing")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.res)
			checkLimits(t, tt.name, m)
			checkLimits(t, tt.name+" (attributed)", attribute(m, origin{Command: "/x"}, ops.Actor{Platform: "slack", ID: "U1"}))
			tt.check(t, m, blocksText(t, m))
		})
	}
}

func TestRenderHostsNamesEveryHost(t *testing.T) {
	procs := func(n int) func(string) (ops.Status, string, any) {
		return func(h string) (ops.Status, string, any) {
			return ops.StatusOK, fmt.Sprintf("%d process(es) on %s:", n, h), ops.ProgramList{Programs: manyPrograms(n)}
		}
	}
	tests := []struct {
		name  string
		res   ops.Result
		every bool // every host is named, none only counted
	}{
		{"60 hosts, 2 failed", loadResult(t, filepath.Join(fixtures, "fleet_status_many.json")), true},
		{"3 hosts, 1 unreachable", loadResult(t, filepath.Join(fixtures, "fleet_status_all.json")), true},
		{"9 hosts of 300 processes", fleettest.Combine("supervisor.program.list", fleettest.Names("h", 9), procs(300)), true},
		{"600 hosts, every tenth unreachable", fleettest.Combine("supervisor.program.list", fleettest.Names("h", 600), func(h string) (ops.Status, string, any) {
			if strings.HasSuffix(h, "0") {
				return ops.StatusFailed, "host unreachable: no agent for " + h + " is connected", map[string]any{}
			}
			return procs(4)(h)
		}), false},
		{"a group edit with diffs", withDiffs(fleettest.Combine("supervisor.program.edit", fleettest.Names("web-", 12), func(h string) (ops.Status, string, any) {
			return ops.StatusOK, "Updated web on " + h + ".", map[string]any{}
		}), manyDiffs(12, 40)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Render(tt.res)
			checkLimits(t, tt.name, m)
			checkLimits(t, tt.name+" (attributed)", attribute(m, origin{Command: "/supervisor status --host all"}, ops.Actor{Platform: "slack", ID: "U1"}))
			if len(m.Blocks) > maxMessageBlocks-reservedBlocks {
				t.Errorf("%d blocks leave no room for the attribution", len(m.Blocks))
			}
			all := blocksText(t, m)
			parts := view.Hosts(tt.res)
			if len(parts) == 0 {
				t.Fatal("not an answer from several hosts")
			}
			var names []string
			lastFailed, firstOK := -1, len(all)
			for _, p := range parts {
				names = append(names, p.Host)
				if tt.every && !strings.Contains(all, p.Host) {
					t.Errorf("%s is not named", p.Host)
				}
				line := strings.Index(all, " *"+p.Host+"* · ") // the line of a host shown in full
				switch {
				case !p.OK() && tt.every && line < 0:
					t.Errorf("the failed host %s is not shown in full", p.Host)
				case !p.OK():
					lastFailed = max(lastFailed, line)
				case line >= 0:
					firstOK = min(firstOK, line)
				}
			}
			if lastFailed > firstOK {
				t.Errorf("a failed host is shown after a host that answered ok")
			}
			if n := fleettest.NamedOrCounted(all, names); n < len(names) {
				t.Errorf("%d of %d hosts are named or counted", n, len(names))
			}
			if len(tt.res.Diffs) > 0 && !strings.Contains(all, "+new line 0 of 0") {
				t.Errorf("the diffs are not shown")
			}
		})
	}
}

func TestRenderHostsReusesTheHostsRenderer(t *testing.T) {
	m := Render(loadResult(t, filepath.Join(fixtures, "fleet_status_all.json")))
	all := blocksText(t, m)
	for _, want := range []string{
		`":x: 1 of 3 hosts did not answer or failed (web-02)."`,
		`":electric_plug: *web-02* · host unreachable: no answer from web-02 within 5s"`,
		`":large_orange_circle: *web-03* · 6 process(es) on web-03:"`,      // answered, with a process in BACKOFF
		":large_orange_circle: *scheduler* `BACKOFF` · Exited too quickly", // the process list, as for one host
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %s in\n%s", want, all)
		}
	}
	if strings.Contains(all, "== web-01 ==") || strings.Contains(all, "NAME ") {
		t.Errorf("the plain-text sections are shown too:\n%s", all)
	}
	if i, j := strings.Index(all, "*web-03*"), strings.Index(all, "*web-01*"); i > j {
		t.Errorf("web-03, with a process in BACKOFF, is not shown before web-01")
	}
}

func TestRenderOpsHosts(t *testing.T) {
	m := Render(loadResult(t, filepath.Join(fixtures, "ops_hosts_fleet.json")))
	checkLimits(t, "ops hosts", m)
	all := blocksText(t, m)
	for _, want := range []string{"*web-02* · unreachable", "no answer from web-02 within 5s", "*web-03* · unhealthy",
		"php-fpm DOWN (PHP 8.2, failed)", "`1.3.2`", ":bell: 2 open alerts", "date^1795694403^"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in\n%s", want, all)
		}
	}
	if strings.Contains(all, "LAST SEEN") {
		t.Errorf("the plain-text table is shown too")
	}
	if i, j := strings.Index(all, "*web-02*"), strings.Index(all, "*web-01*"); i > j {
		t.Errorf("the unreachable host is not first")
	}

	var infos []ops.HostInfo
	names := fleettest.Names("h", 700)
	for i, n := range names {
		infos = append(infos, ops.HostInfo{Name: n, Healthy: i%7 != 0, Version: "1.4.0",
			Components: []ops.Component{{Name: "supervisord", OK: true, Info: strings.Repeat("x", 300)}}})
	}
	big := Render(ops.Result{Status: ops.StatusOK, Operation: "ops.hosts", Message: "700 of 700 hosts answer.", Data: map[string]any{"hosts": infos}})
	checkLimits(t, "700 hosts", big)
	if n := fleettest.NamedOrCounted(blocksText(t, big), names); n < len(names) {
		t.Errorf("%d of %d hosts are named or counted", n, len(names))
	}
}
