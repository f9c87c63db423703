package supervisor

import (
	"slices"
	"testing"
)

func TestListenerIsLeftAlone(t *testing.T) {
	for target, want := range map[string]bool{
		"poolvisor-events": true, "poolvisor-events:*": true, "poolvisor-events:poolvisor-events": true,
		"poolvisor-events2": false, "web": false, "all": false, "queue:poolvisor-events": false,
	} {
		if got := isListener(target); got != want {
			t.Errorf("isListener(%q) = %v, want %v", target, got, want)
		}
	}
	procs, skipped := withoutListener([]ProcessInfo{{Group: "web", Name: "web"}, {Group: ListenerGroup, Name: ListenerGroup}})
	if !skipped || len(procs) != 1 || procs[0].Group != "web" {
		t.Errorf("withoutListener: %+v %v", procs, skipped)
	}
	// An update may load the listener, never stop or remove it.
	c, skipped := Changes{Added: []string{ListenerGroup}, Changed: []string{ListenerGroup, "web"}, Removed: []string{ListenerGroup}}.withoutListener()
	if !skipped || !slices.Equal(c.Added, []string{ListenerGroup}) || !slices.Equal(c.Changed, []string{"web"}) || len(c.Removed) != 0 {
		t.Errorf("Changes.withoutListener: %+v %v", c, skipped)
	}
}
