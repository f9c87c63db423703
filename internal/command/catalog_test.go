package command

import (
	"context"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestAddedFlagReachesGrammarAndHelp builds the grammar from a catalog
// with one more pool flag: it parses, is checked by its type, and help
// lists it with the pool flags.
func TestAddedFlagReachesGrammarAndHelp(t *testing.T) {
	name := catalogtest.Flag.Name
	if _, err := std().parse("fpm pool create web --" + name + " 4"); err == nil {
		t.Fatalf("the real grammar takes --%s; pick a test flag it does not have", name)
	}
	g := newGrammar(catalogtest.Commands())
	for _, text := range []string{"fpm pool create web --" + name + " 4", "fpm pool edit web --" + name + "=4 --plan"} {
		op, err := g.parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if v, _ := op.Get(name); v != "4" {
			t.Errorf("%q: --%s = %q, want 4", text, name, v)
		}
	}
	_, err := g.parse("fpm pool create web --" + name + " many")
	if ops.FieldOf(err) != name {
		t.Errorf("a bad value of --%s: error %v on field %q", name, err, ops.FieldOf(err))
	}
	plan, err := g.help(allowAll{}).Plan(context.Background(), ops.Request{Op: ops.Operation{Name: "ops.help"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Message, "Pool flags: --") || !strings.Contains(out.Message, " --"+name) {
		t.Errorf("help does not list --%s:\n%s", name, out.Message)
	}
}

// TestFlagErrorsNameTheirFlag: a bad flag value comes back with the flag
// it concerns, for a form to show it on its field.
func TestFlagErrorsNameTheirFlag(t *testing.T) {
	for text, want := range map[string]string{
		"fpm pool create web --max-children x":         "max-children",
		"fpm pool create web --pm sometimes":           "pm",
		"supervisor add web --command a --set nokey":   "set",
		"supervisor add web --numprocs 1 --numprocs 2": "numprocs",
		"fpm pools --php '8 3'":                        "php",
	} {
		_, err := Parser{}.Parse(text)
		if got := ops.FieldOf(err); got != want {
			t.Errorf("%q: error %v on field %q, want %q", text, err, got, want)
		}
	}
}
