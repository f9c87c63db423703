package hostscan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/hosts")

// TestScanHosts scans each fixture tree of testdata/hosts and compares what
// WriteText says about it with <tree>.golden. Run with -update to rewrite
// the golden files after a deliberate change, and read the diff.
func TestScanHosts(t *testing.T) {
	for _, name := range []string{"debian", "rhel", "alpine", "empty"} {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join("testdata", "hosts", name)
			l := Scan(root)
			var got bytes.Buffer
			if err := l.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			golden := root + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update once)", err)
			}
			if got.String() != string(want) {
				t.Errorf("Scan(%s) reads, against %s:\n%s", root, golden, lineDiff(string(want), got.String()))
			}
			// A password in a supervisord config never reaches a Layout.
			js, _ := json.Marshal(l)
			if bytes.Contains(js, []byte("s3cr3t")) || strings.Contains(got.String(), "s3cr3t") {
				t.Errorf("the Layout holds supervisord's password: %s", js)
			}
		})
	}
}

// lineDiff lists the lines of want missing from got (-) and the lines of
// got not in want (+): enough to see what changed in a golden file.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	for _, l := range wl {
		if !in(gl, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range gl {
		if !in(wl, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
