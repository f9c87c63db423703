package slack

import (
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestAddedFlagReachesForm: a pool flag added to the catalog is a field of
// Slack's pool form, drawn with the catalog's label and hint, and a value
// typed in it becomes its flag.
func TestAddedFlagReachesForm(t *testing.T) {
	fl := catalogtest.Flag
	c, _ := model.LookupIn(catalogtest.Commands(), "fpm.pool.edit")
	fm := model.New(c, "web", model.Full)
	v := New(Config{}, fakeHost{}, nil, nil).buildView(form{Kind: formPoolEdit, Name: "web"}, fm, "", &meta{Channel: channel})
	var found *slackgo.InputBlock
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slackgo.InputBlock); ok && in.BlockID == fl.Name {
			found = in
		}
	}
	if found == nil {
		t.Fatalf("the pool form has no field %s", fl.Name)
	}
	if found.Label.Text != fl.Label || found.Hint == nil || found.Hint.Text != fl.Hint {
		t.Errorf("field %+v, want the catalog's label and hint", found)
	}
	text, errs := fm.Text(submitted(&slackgo.ViewState{Values: map[string]map[string]slackgo.BlockAction{
		fl.Name: {valueAction: {Value: "4"}}}}), model.Base{Shown: fm.Shown(), Now: map[string]string{}})
	if len(errs) > 0 || !strings.Contains(text, "--"+fl.Name+" 4") {
		t.Errorf("submitted: %q, %v", text, errs)
	}
}

// TestErrorField: a refused plan goes on the field its error names; one
// that names none, or a field the form lacks, on the form's first field.
func TestErrorField(t *testing.T) {
	f := form{Kind: formPoolCreate}
	fm := New(Config{}, fakeHost{}, nil, nil).model(f)
	tests := []struct {
		name string
		res  ops.Result
		want string
	}{
		{"field", ops.Result{Field: "max-spare", Message: "pool web cannot be written as asked:\n  - user www is root"}, "max-spare"},
		{"name", ops.Result{Field: "name", Message: "pool api already exists; change it with /fpm pool edit api --user x"}, "name"},
		{"none", ops.Result{Message: "php-fpm -t: line 3: user www is unknown"}, "name"},
		{"not in the form", ops.Result{Field: "preset", Message: "unknown preset \"huge\""}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorField(tt.res, f, fm); got != tt.want {
				t.Errorf("errorField = %s, want %s", got, tt.want)
			}
		})
	}
}
