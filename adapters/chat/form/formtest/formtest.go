// Package formtest gives every chat platform's tests the same form to
// draw, and one check that what a platform drew is that form: each field,
// in order, with its label, its starting value and whether it is
// required. It is built from catalogtest's catalog, so the form holds a
// flag the real catalog does not: a flag added to the catalog reaches
// every platform's forms.
package formtest

import (
	"slices"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
)

// Current are the directives of the pool the fixture edits.
var Current = map[string]string{"user": "www-data", "pm": "ondemand", "pm.max_children": "8", "listen": "/run/php/www.sock",
	catalogtest.Flag.Key: "4", "pm.status_path": "/status"}

// Fixture is the form of catalogtest's `fpm pool edit www` in layout l,
// prefilled with Current.
func Fixture(t *testing.T, l form.Layout) form.Form {
	t.Helper()
	c, ok := form.LookupIn(catalogtest.Commands(), "fpm.pool.edit")
	if !ok {
		t.Fatal("catalogtest has no fpm.pool.edit")
	}
	f := form.New(c, "www", l)
	f.Prefill(Current)
	return f
}

// Drawn is a field as a platform drew it, read back from its wire format.
// Choices is nil where the platform has no select (Discord's modals).
type Drawn struct {
	Name, Label, Value string
	Required           bool
	Choices            []string
}

// Check fails t unless drawn is f's fields, in order. A platform that cuts
// labels to a limit passes maxLabel (0: none).
func Check(t *testing.T, f form.Form, drawn []Drawn, maxLabel int) {
	t.Helper()
	if len(drawn) != len(f.Fields) {
		t.Fatalf("drew %d fields, the form has %d: %+v", len(drawn), len(f.Fields), drawn)
	}
	for i, fl := range f.Fields {
		d := drawn[i]
		label := fl.Label
		if maxLabel > 0 && len(label) > maxLabel {
			label = label[:maxLabel]
		}
		switch {
		case d.Name != fl.Name:
			t.Errorf("field %d is %q, want %q", i, d.Name, fl.Name)
		case d.Label != label:
			t.Errorf("%s: label %q, want %q", fl.Name, d.Label, label)
		case d.Value != fl.Value:
			t.Errorf("%s: starts with %q, want %q", fl.Name, d.Value, fl.Value)
		case d.Required != fl.Required:
			t.Errorf("%s: required %v, want %v", fl.Name, d.Required, fl.Required)
		case d.Choices != nil && !slices.Equal(d.Choices, fl.Choices):
			t.Errorf("%s: choices %v, want %v", fl.Name, d.Choices, fl.Choices)
		}
	}
	if !slices.ContainsFunc(drawn, func(d Drawn) bool { return d.Name == catalogtest.Flag.Name }) {
		t.Errorf("the flag added to the catalog, %s, is not drawn", catalogtest.Flag.Name)
	}
}
