package discord

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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
			action := "" // the fixtures' commands fit a custom_id
			if a.Action != "" && !a.Recovered {
				action = buttonPrefix + a.Action
			}
			m := alertMessage(a, action)
			checkLimits(t, name, m)
			got := encode(t, m)
			golden := filepath.Join("testdata", "golden", "alert_"+name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; run with -update and read the diff:\n%s", name, got)
			}
		})
	}
}

// TestPoolDetailIsEscaped: the slow log's script and frame and the reason
// for no advice come from outside (a file php-fpm writes, an error): they
// reach the message only escaped or in inline code (where Discord makes
// no mention), and the message allows no mentions anyway.
func TestPoolDetailIsEscaped(t *testing.T) {
	d := alert.PoolDetail{Pool: "shop", AdviceError: "@everyone <@500000000000000001>",
		Slow: &ops.SlowlogEntry{Script: "/srv/@here.php", TopFrame: "x() <@&41771983423143936>:1", Count: 2}}
	m := alertMessage(alert.Alert{Kind: alert.KindPool, Host: "h", Program: "shop", State: "SATURATED", Pool: &d}, "")
	// What is in inline code is shown literally.
	text := regexp.MustCompile("`[^`]*`").ReplaceAllString(string(encode(t, m)), "")
	for _, raw := range []string{"@everyone", "@here", "<@&", "<@5"} {
		if strings.Contains(text, raw) {
			t.Errorf("%s raw in %s", raw, text)
		}
	}
	if len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("the alert allows mentions: %+v", m.AllowedMentions)
	}
}
