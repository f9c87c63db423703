package discord

import (
	"path/filepath"
	"regexp"
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
		action := "" // the fixtures' commands fit a custom_id
		if a.Action != "" && !a.Recovered {
			action = buttonPrefix + a.Action
		}
		m := alertMessage(a, action)
		checkLimits(t, name, m)
		golden.Check(t, filepath.Join("testdata", "golden", "alert_"+name+".json"), encode(t, m))
	})
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
