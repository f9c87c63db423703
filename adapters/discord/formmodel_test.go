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

	values[catalogtest.Flag.Name] = "6"
	c, _ := model.LookupIn(catalogtest.Commands(), "fpm.pool.edit")
	got, errs := formModel(c, formTarget{Name: "www"}).Text(values, nil)
	want := "fpm pool edit www --user www-data --listen /run/php/www.sock --pm ondemand --max-children 8 --" + catalogtest.Flag.Name + " 6"
	if len(errs) > 0 || got != want {
		t.Errorf("submitted: %q %v, want %q", got, errs, want)
	}

	text, errs, ok := formText(id, map[string]string{"max-children": "many", "pm": "Static"})
	if !ok || text != "" || !strings.Contains(errs["max-children"], "whole number") || len(errs) != 1 {
		t.Errorf("a word for a number: %q %v %v", text, errs, ok)
	}
	msg := fieldErrors(id, errs)
	if !strings.Contains(msg, "**Max children**: ") || !strings.Contains(msg, "Nothing was applied") {
		t.Errorf("the member reads:\n%s", msg)
	}
	if text, _, _ := formText(id, map[string]string{"pm": "Static"}); text != "fpm pool edit www --pm static" {
		t.Errorf("a choice typed in another case: %q", text)
	}
}
