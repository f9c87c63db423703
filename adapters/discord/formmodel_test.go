package discord

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/adapters/chat/form/formtest"
	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
)

// TestDrawsTheFormModel: Discord draws the shared fixture form in a modal,
// one text input a field (the flag added to the catalog among them),
// within its five; a submission of its values becomes the command the
// model makes of them, and a value of the wrong type is told by field.
func TestDrawsTheFormModel(t *testing.T) {
	fm := formtest.Fixture(t, model.Short)
	id := formPrefix + "fpm pool edit:www"
	m := modalOf(fm, id, "Fpm pool edit www")
	if len(m.Components) > maxModalInputs {
		t.Fatalf("%d rows; a modal holds %d", len(m.Components), maxModalInputs)
	}
	var drawn []formtest.Drawn
	values := map[string]string{}
	for _, row := range m.Components {
		ti := row.(discordgo.ActionsRow).Components[0].(discordgo.TextInput)
		drawn = append(drawn, formtest.Drawn{Name: ti.CustomID, Label: ti.Label, Value: ti.Value, Required: ti.Required})
		values[ti.CustomID] = ti.Value
	}
	formtest.Check(t, fm, drawn, maxInputLabel)

	// The one field changed is sent, alone.
	values[catalogtest.Flag.Name] = "6"
	base := model.Base{Shown: fm.Shown(), Now: formtest.Current}
	got, errs := fm.Text(values, base)
	want := "fpm pool edit www --" + catalogtest.Flag.Name + " 6"
	if len(errs) > 0 || got != want {
		t.Errorf("submitted: %q %v, want %q", got, errs, want)
	}

	values[catalogtest.Flag.Name], values["max-children"], values["pm"] = "4", "many", "Static"
	text, errs := fm.Text(values, base)
	if text != "" || !strings.Contains(errs["max-children"], "whole number") || len(errs) != 1 {
		t.Errorf("a word for a number: %q %v", text, errs)
	}
	msg := fieldErrors(fm, errs)
	if !strings.Contains(msg, "**Max children**: ") || !strings.Contains(msg, "Nothing was applied") {
		t.Errorf("the member reads:\n%s", msg)
	}
	values["max-children"] = "8"
	if text, _ := fm.Text(values, base); text != "fpm pool edit www --pm static" {
		t.Errorf("a choice typed in another case: %q", text)
	}
}
