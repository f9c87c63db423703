package slack

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/golden"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// alertFixtures are the neutral alerts every chat adapter renders.
const alertFixtures = "../testdata/alerts"

// TestAlertGolden renders each shared alert fixture and compares it with
// this platform's golden file.
func TestAlertGolden(t *testing.T) {
	golden.EachFixture(t, alertFixtures, func(t *testing.T, name, path string) {
		var a alert.Alert
		golden.Load(t, path, &a)
		m := alertMessage(a)
		checkLimits(t, name, m)
		golden.Check(t, filepath.Join("testdata", "golden", "alert_"+name+".json"), golden.JSON(t, m))
	})
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
