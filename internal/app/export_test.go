package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// TestAuditExport: `poolvisor audit export` reads the trail from the data
// directory, masks a secret recorded unmasked (as an older poolvisor
// would have) and filters by --since.
func TestAuditExport(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "poolvisor.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`host: cc
data_dir: %s/data
listen: ""
phpfpm: {enabled: false}
supervisor:
  url: unix://%s/none.sock
  config_file: %s/supervisord.conf
  program_dir: %s
  log_dir: %s
rbac:
  bindings:
    - {role: admin, local_users: [alice]}
`, dir, dir, dir, dir, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(since, format string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := app.AuditExport(app.ExportOptions{ConfigPath: cfg, Since: since, Format: format}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := run("", "csv"); code != app.ExitFailed || !strings.Contains(stderr, "no audit trail") {
		t.Fatalf("without a database: %d %s", code, stderr)
	}

	ctx := context.Background()
	db, err := sqlitedb.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.New(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, e := range []ops.AuditEntry{
		{Time: now.Add(-10 * 24 * time.Hour), Host: "cc", Actor: "local:old", Operation: "supervisor.program.start", Target: "ancient", Status: ops.StatusOK},
		{Time: now.Add(-time.Hour), Host: "cc", Actor: "slack:U1", Operation: "supervisor.program.add", Target: "x",
			Args: []ops.Arg{{Key: "command", Value: "app --password=hunter2"}}, Status: ops.StatusOK},
	} {
		if err := trail.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, stderr := run("7d", "csv")
	if code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, out)
	}
	if len(rows) != 2 || !slices.Equal(rows[0], ops.AuditColumns) || rows[1][slices.Index(ops.AuditColumns, "target")] != "x" {
		t.Fatalf("--since 7d: want the header and x, got %q", rows)
	}
	code, out, stderr = run("", "json")
	var entries []ops.AuditEntry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 2 {
		t.Fatalf("json: %d %s\n%s", code, stderr, out)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "--password=••••") {
		t.Errorf("the secret is not masked:\n%s", out)
	}
	if code, _, _ := run("1w", "csv"); code != app.ExitUsage {
		t.Errorf("--since 1w: exit %d, want %d", code, app.ExitUsage)
	}
	if code, _, _ := run("", "xml"); code != app.ExitUsage {
		t.Errorf("--format xml: exit %d, want %d", code, app.ExitUsage)
	}
}
