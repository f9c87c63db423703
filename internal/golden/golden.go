// Package golden compares what a test renders with a file under testdata
// and, run with -update, rewrites that file instead. Only tests import it:
// it registers the -update flag of every test binary that does.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Updating says whether the test binary runs with -update.
func Updating() bool { return *update }

// Check fails t unless got is the content of file. With -update it first
// writes got to file (and the folders it needs), so the comparison passes
// and git's diff shows what changed.
func Check(t testing.TB, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run go test -update and read the diff. Lines gone (-) and new (+):\n%s\ngot:\n%s",
			file, LineDiff(string(want), string(got)), got)
	}
}

// JSON is v as a golden file holds it: indented by two spaces, with <, >
// and & as they are, and a final newline.
func JSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Load decodes the JSON file at path into v.
func Load(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// EachFixture runs f as a subtest for every *.json file in dir, named after
// the file without its ending; it fails t when dir holds none.
func EachFixture(t *testing.T, dir string, f func(t *testing.T, name, path string)) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) { f(t, name, path) })
	}
}

// LineDiff lists the lines of want missing from got (-) and the lines of
// got not in want (+): enough to see what changed in a golden file.
func LineDiff(want, got string) string {
	count := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	wl, gl := count(want), count(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !gl[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !wl[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
