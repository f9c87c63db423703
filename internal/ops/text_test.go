package ops

import (
	"strings"
	"testing"
)

func TestTextComposesTheBody(t *testing.T) {
	diffA := Diff{Path: "/etc/a.conf", Text: "--- a/etc/a.conf\n+++ b/etc/a.conf\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"}
	diffB := Diff{Path: "/etc/b.conf", Text: "--- /dev/null\n+++ b/etc/b.conf\n@@ -0,0 +1 @@\n+y = 1\n"}
	both := "\n" + diffA.Text + "\n" + strings.TrimRight(diffB.Text, "\n")
	procs := []Process{{Name: "web", State: "RUNNING", PID: 12, Uptime: 90}, {Name: "flaky", State: "FATAL", SpawnErr: "spawn error"}}
	table := "  NAME   STATE    PID  UPTIME  INFO\n  web    RUNNING  12   1m      \n  flaky  FATAL    -    -       spawn error"
	tests := []struct {
		name, want, summary string
		body                Body
		diffs               []Diff
	}{
		{"diffs after the summary", "Updated a on web-01." + both, "Updated a on web-01.",
			Body{Parts: []Part{Prose("Updated a on web-01.")}}, []Diff{diffA, diffB}},
		{"diffs inside an approval request", "Approval required.\nedit a" + both + "\nAn approver decides with: /ops approve x",
			"Approval required.\nedit a\nAn approver decides with: /ops approve x",
			Body{Parts: []Part{Prose("Approval required.\nedit a"), DiffsHere(), Prose("An approver decides with: /ops approve x")}}, []Diff{diffA, diffB}},
		{"a table between prose", "flaky did not start:\nflaky is FATAL\n" + table + "\nlast words", "flaky did not start:\nflaky is FATAL\nlast words",
			Body{Parts: []Part{Prose("flaky did not start:\nflaky is FATAL"), ProcessTable(procs), Prose("last words")}}, nil},
		{"an empty table", "No programs are configured on web-01.\n", "No programs are configured on web-01.",
			Body{Parts: []Part{Prose("No programs are configured on web-01."), ProcessTable(nil)}}, nil},
		{"hosts", "== web-01 ==\n2 process(es) on web-01:\n" + table + "\n\n== web-02 ==\nhost unreachable", "",
			Body{Hosts: []HostSection{{Host: "web-01", Parts: []Part{Prose("2 process(es) on web-01:"), ProcessTable(procs)}}, {Host: "web-02", Parts: []Part{Prose("host unreachable")}}}}, nil},
		{"hosts after a headline", "1 of 2 hosts failed.\n\n== web-02 ==\nhost unreachable", "1 of 2 hosts failed.",
			Body{Parts: []Part{Prose("1 of 2 hosts failed.")}, Hosts: []HostSection{{Host: "web-02", Parts: []Part{Prose("host unreachable")}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.body, tt.diffs); got != tt.want {
				t.Errorf("Text =\n%q\nwant\n%q", got, tt.want)
			}
			res := Result{Body: tt.body, Diffs: tt.diffs}
			res.compose()
			if got := res.Summary(); strings.TrimSpace(got) != tt.summary {
				t.Errorf("Summary = %q, want %q", got, tt.summary)
			}
		})
	}
}

func TestTrimDropsABodyOfProseAlone(t *testing.T) {
	res := Result{}
	res.setBody(Body{Parts: []Part{Prose("Reloaded php-fpm.")}})
	res.trim()
	if res.Body.Parts != nil || res.Message != "Reloaded php-fpm." || res.Summary() != "Reloaded php-fpm." {
		t.Errorf("after trim: %+v", res)
	}
}

func TestAppendKeepsTheTables(t *testing.T) {
	out := Parts(nil, Prose("Program web on h:"), ProcessTable([]Process{{Name: "web", State: "STOPPED"}}))
	out.Append(Prose("web.conf was changed outside poolvisor"))
	want := "Program web on h:\n  NAME  STATE    PID  UPTIME  INFO\n  web   STOPPED  -    -       \nweb.conf was changed outside poolvisor"
	if out.Message != want || out.Text() != want {
		t.Errorf("after Append:\n%q\n%q", out.Message, out.Text())
	}
	plain := Outcome{Message: "Reloaded."}
	plain.Append(Prose("note"))
	if plain.Text() != "Reloaded.\nnote" {
		t.Errorf("prose: %q", plain.Text())
	}
}
