package hostscan

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/golden"
)

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
			golden.Check(t, root+".golden", got.Bytes())
			// A password in a supervisord config never reaches a Layout.
			js, _ := json.Marshal(l)
			if bytes.Contains(js, []byte("s3cr3t")) || strings.Contains(got.String(), "s3cr3t") {
				t.Errorf("the Layout holds supervisord's password: %s", js)
			}
		})
	}
}
