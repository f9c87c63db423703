package app_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnitsVerify checks every unit in deploy/ with
// `systemd-analyze verify`, where systemd is installed, against the
// poolvisor binary these tests built.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	for _, u := range stagedUnits(t) {
		// Warnings about the unit name it; other output is the machine's.
		if out, err := exec.Command(analyze, "verify", u.path).CombinedOutput(); err != nil || strings.Contains(string(out), u.name) {
			t.Errorf("systemd-analyze verify %s: %v\n%s", u.name, err, out)
		}
	}
}

type stagedUnit struct {
	name, path string
	raw        []byte
}

// stagedUnits copies every unit of deploy/ to a temporary directory, each
// pointed at the poolvisor binary these tests built.
func stagedUnits(t *testing.T) []stagedUnit {
	t.Helper()
	units, _ := filepath.Glob("../../deploy/*.service")
	if len(units) < 3 {
		t.Fatalf("units: %v", units)
	}
	dir := t.TempDir()
	var out []stagedUnit
	for _, u := range units {
		raw, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/poolvisor", binary)), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, stagedUnit{name: filepath.Base(u), path: path, raw: raw})
	}
	return out
}

// systemdAnalyze returns systemd-analyze's path. make test installs it
// (scripts/install-deps.sh); only a hand-run `go test` may lack it.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is not installed; make test installs it (package systemd)")
		}
		t.Skip("systemd-analyze is not installed")
	}
	return analyze
}

// TestSystemdUnitsExposure: every shipped unit scores OK or SAFE in
// `systemd-analyze security`; docs/security.md explains each setting that
// is left open.
func TestSystemdUnitsExposure(t *testing.T) {
	analyze := systemdAnalyze(t)
	for _, u := range stagedUnits(t) {
		path, raw := u.path, u.raw
		out, err := exec.Command(analyze, "security", "--offline=yes", "--no-pager", path).CombinedOutput()
		if err != nil {
			t.Fatalf("systemd-analyze security %s: %v\n%s", u.name, err, out)
		}
		m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\w+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no exposure level in:\n%s", out)
		}
		if level := string(m[2]); level != "OK" && level != "SAFE" {
			t.Errorf("%s: exposure %s %s, want OK or SAFE", u.name, m[1], level)
		}
		for _, want := range []string{"UMask=0077", "StateDirectoryMode=0700", "ProtectHome=read-only"} {
			if !strings.Contains(string(raw), want) && !(want == "ProtectHome=read-only" && strings.Contains(string(raw), "ProtectHome=true")) {
				t.Errorf("%s lacks %s", u.name, want)
			}
		}
	}
}
