package app_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitsVerify checks every unit in deploy/ with
// `systemd-analyze verify`, where systemd is installed, against the
// poolvisor binary these tests built.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	units, _ := filepath.Glob("../../deploy/*.service")
	if len(units) < 3 {
		t.Fatalf("units: %v", units)
	}
	dir := t.TempDir()
	for _, u := range units {
		raw, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/poolvisor", binary)), 0o644); err != nil {
			t.Fatal(err)
		}
		// Warnings about the unit name it; other output is the machine's.
		if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || strings.Contains(string(out), filepath.Base(u)) {
			t.Errorf("systemd-analyze verify %s: %v\n%s", filepath.Base(u), err, out)
		}
	}
}
