package app

import (
	"testing"

	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestAlertApplyAdviceParses: the Apply advice button's command is read
// back by the grammar as fpm.tune.apply of that pool of that instance.
func TestAlertApplyAdviceParses(t *testing.T) {
	for _, tt := range []struct{ pool, php string }{{"www", ""}, {"shop", "8.3"}, {"my.app-1", "7.4"}} {
		text := applyAdvice(tt.pool, tt.php)
		op, err := command.Parser{}.Parse(text)
		php, _ := op.Get(ops.InstanceArg)
		if err != nil || op.Name != "fpm.tune.apply" || op.Target != tt.pool || php != tt.php || op.DryRun {
			t.Errorf("%q parses as %+v (%v)", text, op, err)
		}
	}
}
