package ops_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// seedAudit leaves a trail: a command with a secret typed in it, run
// through the pipeline, and entries recorded as an older poolvisor would
// have, unmasked, one of them two days old.
func seedAudit(t *testing.T) (*ops.Pipeline, context.Context) {
	t.Helper()
	p, trail := newSecretPipeline(t)
	ctx := context.Background()
	if res := p.Run(ctx, alice, `supervisor add x --command "app --password=hunter2"`); res.Status != ops.StatusOK {
		t.Fatalf("add: %s %s", res.Status, res.Message)
	}
	now := time.Now().UTC()
	for _, e := range []ops.AuditEntry{
		{Time: now.Add(-48 * time.Hour), Host: "web-01", Actor: "local:old", Operation: "supervisor.program.start", Target: "ancient", Status: ops.StatusOK},
		{Time: now.Add(-time.Minute), Host: "web-01", Actor: "=HYPERLINK(\"http://evil\")", Operation: "supervisor.program.add", Target: "y",
			Args: []ops.Arg{{Key: "command", Value: "app --password=hunter2"}, {Key: "user", Value: "www-data"}}, Status: ops.StatusOK,
			Message: "added, with token=hunter2"},
	} {
		if err := trail.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return p, ctx
}

func TestAuditFormats(t *testing.T) {
	p, ctx := seedAudit(t)
	for _, format := range []string{"text", "json", "csv"} {
		res := p.Run(ctx, vic, "ops audit --format "+format)
		if res.Status != ops.StatusOK {
			t.Fatalf("%s: %s %s", format, res.Status, res.Message)
		}
		if res.Attachment == nil {
			t.Fatalf("%s: no attachment", format)
		}
		raw, _ := json.Marshal(res)
		if strings.Contains(res.Message+string(raw)+string(res.Attachment.Content), "hunter2") {
			t.Errorf("%s shows the secret: %s\n%s", format, res.Message, raw)
		}
		ext := map[string]string{"text": ".txt", "json": ".json", "csv": ".csv"}[format]
		if res.Attachment == nil || string(res.Attachment.Content) != res.Message || !strings.HasSuffix(res.Attachment.Name, ext) {
			t.Errorf("%s: attachment %+v does not hold the message", format, res.Attachment)
		}
		if m, ok := res.Data.(map[string]any); !ok || m["entries"] == nil {
			t.Errorf("%s: data is %#v, want {entries: [...]}", format, res.Data)
		}
	}
}

func TestAuditCSV(t *testing.T) {
	p, ctx := seedAudit(t)
	res := p.Run(ctx, vic, "ops audit 10 --format csv")
	if res.Status != ops.StatusOK {
		t.Fatalf("%s %s", res.Status, res.Message)
	}
	rows, err := csv.NewReader(strings.NewReader(res.Message)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, res.Message)
	}
	if !slices.Equal(rows[0], ops.AuditColumns) {
		t.Fatalf("header = %q, want %q", rows[0], ops.AuditColumns)
	}
	if len(rows) != 4 { // header, the add, the old one, the unmasked one
		t.Fatalf("%d rows, want 4:\n%s", len(rows), res.Message)
	}
	col := func(row []string, name string) string { return row[slices.Index(ops.AuditColumns, name)] }
	last := rows[3]
	if got := col(last, "actor"); got != `'=HYPERLINK("http://evil")` {
		t.Errorf("a formula in a cell is not defused: %q", got)
	}
	if got, want := col(last, "args"), `command="app --password=••••" user=www-data`; got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
	if got := col(last, "message"); got != "added, with token=••••" {
		t.Errorf("message = %q", got)
	}
	if got := col(rows[1], "target"); got != "x" || col(rows[1], "status") != "ok" {
		t.Errorf("first row: %q", rows[1])
	}
	if !strings.Contains(res.Message, "\r\n") {
		t.Error("RFC 4180 ends lines with CRLF")
	}
}

func TestAuditJSON(t *testing.T) {
	p, ctx := seedAudit(t)
	res := p.Run(ctx, vic, "ops audit --format json")
	var entries []ops.AuditEntry
	if err := json.Unmarshal([]byte(res.Message), &entries); err != nil {
		t.Fatalf("the JSON does not parse: %v\n%s", err, res.Message)
	}
	if len(entries) != 3 || entries[2].Actor != `=HYPERLINK("http://evil")` {
		t.Errorf("entries: %+v", entries)
	}
	if lines := bytes.Count([]byte(res.Message), []byte("\n")); lines != len(entries)+2 {
		t.Errorf("want an entry a line, got %d lines:\n%s", lines, res.Message)
	}
}

func TestAuditSince(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // targets
		status     ops.Status
	}{
		{"an hour", "ops audit --since 1h --format json", []string{"x", "y"}, ops.StatusOK},
		{"three days", "ops audit --since 3d --format json", []string{"x", "ancient", "y"}, ops.StatusOK},
		{"days and hours", "ops audit --since 1d12h --format json", []string{"x", "y"}, ops.StatusOK},
		{"with N", "ops audit 1 --since 3d --format json", []string{"y"}, ops.StatusOK},
		{"not a duration", "ops audit --since yesterday", nil, ops.StatusInvalid},
		{"not a format", "ops audit --format xml", nil, ops.StatusInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ctx := seedAudit(t) // each run of /ops audit is audited too
			res := p.Run(ctx, vic, tc.text)
			if res.Status != tc.status {
				t.Fatalf("%s: %s", res.Status, res.Message)
			}
			if tc.status != ops.StatusOK {
				return
			}
			var entries []ops.AuditEntry
			if err := json.Unmarshal([]byte(res.Message), &entries); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				if e.Operation != "ops.audit" {
					got = append(got, e.Target)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("targets %q, want %q", got, tc.want)
			}
		})
	}
}
