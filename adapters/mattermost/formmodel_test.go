package mattermost

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat/form/formtest"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestDrawsTheFormModel: Mattermost draws the shared fixture form as a
// dialog, one element a field (the flag added to the catalog among them),
// a select for a choice, within its five elements.
func TestDrawsTheFormModel(t *testing.T) {
	h := newHarness(t, func(ops.Actor, string) ops.Result { return ops.Result{Status: ops.StatusOK} })
	fm := formtest.Fixture(t, dialogLayout)
	d, err := h.a.dialog(fm, channel, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Elements) > maxDialogElements {
		t.Fatalf("%d elements; a dialog holds %d", len(d.Elements), maxDialogElements)
	}
	var drawn []formtest.Drawn
	for _, e := range d.Elements {
		dr := formtest.Drawn{Name: e.Name, Label: e.DisplayName, Value: e.Default, Required: !e.Optional}
		if e.Type == "select" {
			dr.Choices = []string{}
			for _, o := range e.Options {
				dr.Choices = append(dr.Choices, o.Value)
			}
		}
		drawn = append(drawn, dr)
	}
	formtest.Check(t, fm, drawn, maxDisplayName)
}

// TestLongCurrentValue: a current value longer than a text element's
// default holds is shown whole in a textarea, never cut (a cut value
// submitted back would change the setting); one longer than a textarea
// holds keeps the dialog from opening, with a way out.
func TestLongCurrentValue(t *testing.T) {
	h := newHarness(t, func(ops.Actor, string) ops.Result { return ops.Result{Status: ops.StatusOK} })
	fm := formtest.Fixture(t, dialogLayout)
	fm.Fields[0].Value = strings.Repeat("x", maxTextDefault+1)
	d, err := h.a.dialog(fm, channel, alice.ID)
	if err != nil || d.Elements[0].Type != "textarea" || d.Elements[0].Default != fm.Fields[0].Value {
		t.Errorf("%v %+v", err, d.Elements[0])
	}
	fm.Fields[0].Value = strings.Repeat("x", maxAreaDefault+1)
	if _, err := h.a.dialog(fm, channel, alice.ID); err == nil || !strings.Contains(err.Error(), "--raw") {
		t.Errorf("a value longer than a dialog holds: %v", err)
	}
}
