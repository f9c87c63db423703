package app_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/app"
)

// TestCheckConfigListsUneditable: check-config names every program file
// poolvisor shows and controls but will not edit, with the reason, reading
// files only (no supervisord answers here).
func TestCheckConfigListsUneditable(t *testing.T) {
	dir := t.TempDir()
	confd := filepath.Join(dir, "conf.d")
	if err := os.MkdirAll(confd, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(dir, "supervisord.conf")
	write(main, "[supervisord]\nlogfile=/tmp/x.log\n\n[program:builtin]\ncommand=/bin/true\n\n[include]\nfiles = conf.d/*.conf\n")
	write(filepath.Join(confd, "jobs.conf"), "[program:twice]\ncommand=/bin/true\n")
	write(filepath.Join(confd, "more.conf"), "[program:twice]\ncommand=/bin/false\n\n[program:fine]\ncommand=/bin/true\n")
	cfg := filepath.Join(dir, "poolvisor.yaml")
	write(cfg, fmt.Sprintf(`host: cc
data_dir: %s/data
listen: ""
phpfpm: {enabled: false}
supervisor:
  url: unix://%s/none.sock
  config_file: %s
  program_dir: %s
  log_dir: %s
rbac:
  bindings:
    - {role: admin, local_users: [alice]}
`, dir, dir, main, confd, dir))
	if err := os.Chmod(cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := app.CheckConfig(cfg, &stdout, &stderr); code != 0 {
		t.Fatalf("check-config: %d %s", code, stderr.String())
	}
	out := stdout.String()
	t.Log(out[strings.Index(out, "# Program and pool"):])
	for _, want := range []string{
		"will not edit",
		main + ": program builtin",
		"edit_main_config",
		"program twice",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "program fine") {
		t.Errorf("check-config lists an editable program:\n%s", out)
	}
}
