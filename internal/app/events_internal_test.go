package app

import (
	"testing"

	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestAlertNames: pool alerts of two instances with the same pool name
// are told apart, and the button's command they make parses to the right
// instance.
func TestAlertNames(t *testing.T) {
	st := ops.FPMStatus{Pools: []ops.PoolStatus{{Name: "www"}}}
	a, b := alertNames(st, "7.4"), alertNames(st, "8.3")
	if a.Pools[0].Name == b.Pools[0].Name || st.Pools[0].Name != "www" {
		t.Fatalf("names %q %q (original %q)", a.Pools[0].Name, b.Pools[0].Name, st.Pools[0].Name)
	}
	op, err := command.Parser{}.Parse("fpm tune " + a.Pools[0].Name)
	if php, _ := op.Get(ops.InstanceArg); err != nil || op.Target != "www" || php != "7.4" {
		t.Errorf("the alert's action parses as %+v (%v)", op, err)
	}
}
