package slack

import (
	"slices"
	"testing"

	slackgo "github.com/slack-go/slack"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/adapters/chat/form/formtest"
	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
)

// TestDrawsTheFormModel: Slack draws the shared fixture form, field for
// field (the flag added to the catalog among them), keeps which fields
// showed (as digests), and a submission of its values becomes the command
// the model makes of them: the one field changed, alone.
func TestDrawsTheFormModel(t *testing.T) {
	fm := formtest.Fixture(t, model.Full)
	a := New(Config{}, fakeHost{}, nil, nil)
	m := meta{Channel: channel, Name: "www"}
	v := a.buildView(form{Kind: formPoolEdit, Name: "www"}, fm, "", &m)
	var drawn []formtest.Drawn
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slackgo.InputBlock)
		if !ok {
			continue
		}
		d := formtest.Drawn{Name: in.BlockID, Label: in.Label.Text, Required: !in.Optional}
		switch el := in.Element.(type) {
		case *slackgo.PlainTextInputBlockElement:
			d.Value = el.InitialValue
		case *slackgo.SelectBlockElement:
			d.Choices = []string{}
			for _, o := range el.Options {
				d.Choices = append(d.Choices, o.Value)
			}
			if el.InitialOption != nil {
				d.Value = el.InitialOption.Value
			}
		}
		drawn = append(drawn, d)
	}
	formtest.Check(t, fm, drawn, 0)
	if m.shown() == nil || !slices.Equal(m.shown().Current(), model.Shown(fm.Shown()).Current()) {
		t.Errorf("the view keeps %q as what it showed, want %v", m.Shown, fm.Shown())
	}

	values := map[string]map[string]slackgo.BlockAction{}
	for _, d := range drawn {
		if d.Choices != nil {
			values[d.Name] = map[string]slackgo.BlockAction{valueAction: {SelectedOption: slackgo.OptionBlockObject{Value: d.Value}}}
		} else {
			values[d.Name] = map[string]slackgo.BlockAction{valueAction: {Value: d.Value}}
		}
	}
	values[catalogtest.Flag.Name][valueAction] = slackgo.BlockAction{Value: "6"}
	sub := submitted(&slackgo.ViewState{Values: values})
	got, errs := fm.Text(sub, model.Base{Shown: m.shown(), Now: formtest.Current})
	want := "fpm pool edit www --" + catalogtest.Flag.Name + " 6"
	if len(errs) > 0 || got != want {
		t.Errorf("submitted: %q %v, want %q", got, errs, want)
	}
}
