package view

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestFixturesComposeTheirMessage checks that each shared result fixture
// is what the core gives: a message composed from the body and the diffs
// (ops.Text), whenever the fixture has a body.
func TestFixturesComposeTheirMessage(t *testing.T) {
	files, err := filepath.Glob("../../testdata/results/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var res ops.Result
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(res.Body.Parts) == 0 && len(res.Body.Hosts) == 0 {
			continue
		}
		if got := ops.Text(res.Body, res.Diffs); got != res.Message {
			t.Errorf("%s: the body composes\n%q\nnot the message\n%q", filepath.Base(f), got, res.Message)
		}
	}
}
