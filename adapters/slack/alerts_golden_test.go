package slack

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// alertFixtures are the neutral alerts every chat adapter renders.
const alertFixtures = "../testdata/alerts"

// TestAlertGolden renders each shared alert fixture and compares it with
// this platform's golden file.
func TestAlertGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(alertFixtures, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", alertFixtures, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var a alert.Alert
			if err := json.Unmarshal(raw, &a); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			m := alertMessage(a)
			checkLimits(t, name, m)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(m); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", "alert_"+name+".json")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from the golden file; run with -update and read the diff:\n%s", name, buf.Bytes())
			}
		})
	}
}

// TestPoolDetailIsEscaped: the slow log's script and frame and the reason
// for no advice come from outside (a file php-fpm writes, an error): they
// reach the message only escaped.
func TestPoolDetailIsEscaped(t *testing.T) {
	for _, d := range []alert.PoolDetail{
		{Pool: "shop", AdviceError: "<!channel> <@U0ALICE>",
			Slow: &ops.SlowlogEntry{Script: "/srv/<!here>.php", TopFrame: "x() <!everyone>:1", Count: 2}},
		{Pool: "shop", Advice: &ops.PoolTune{Name: "shop", CurrentMaxChildren: 1, AdvisedMaxChildren: 2, Kept: true, Note: "<https://evil.example|click>"},
			BudgetSource: "<!here>"},
	} {
		m := alertMessage(alert.Alert{Kind: alert.KindPool, Host: "h", Program: "shop", State: "SATURATED", Pool: &d})
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0ALICE>", "<https://"} {
			if strings.Contains(string(raw), bad) {
				t.Errorf("%s raw in %s", bad, raw)
			}
		}
	}
}
