package slack

import (
	"encoding/json"
	"slices"
	"strings"

	slackgo "github.com/slack-go/slack"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/catalog"
)

// Block IDs: a field's block_id is its name in the form model (the flag it
// fills, catalog.Target, catalog.Instance), and the raw editor's is content.
const (
	fieldContent = model.RawField
	valueAction  = "value" // the action_id of every form input
)

// rawField is the raw editor's one input: the whole file, drawn as a
// multiline input (the type of the KEY=VALUE lines).
var rawField = model.Field{Name: fieldContent, Label: "File", Type: catalog.Repeat, Required: true,
	Hint: "The whole file; it is checked as a whole before anything changes"}

// formOps are the operations of the forms that the form model draws.
var formOps = map[formKind]string{
	formProgramAdd: "supervisor.program.add", formProgramEdit: "supervisor.program.edit",
	formPoolCreate: "fpm.pool.create", formPoolEdit: "fpm.pool.edit",
}

// model is form f in Slack's layout, its fields empty except a new pool's
// choice of PHP-FPM on a host where several run. A raw editor has no model.
func (a *Adapter) model(f form) model.Form {
	c, _ := model.Lookup(formOps[f.Kind])
	fm := model.New(c, f.Name, model.Full)
	fm.PHP = f.PHP
	if f.adds() {
		fm.AskPHP(a.cfg.PHPInstances, a.cfg.DefaultPHP)
	}
	return fm
}

// modelWith is form f holding values as typed (a preview redraws them), the
// fields of current marked as shown with a current value.
func (a *Adapter) modelWith(f form, values map[string]string, current []string) model.Form {
	fm := a.model(f)
	for i, fl := range fm.Fields {
		if v, ok := values[fl.Name]; ok {
			fm.Fields[i].Value = v
		}
		if slices.Contains(current, fl.Name) {
			fm.Fields[i].Current, fm.Fields[i].Required = true, true
		}
	}
	return fm
}

// fieldsOf returns the inputs of form fm of kind f, in order.
func fieldsOf(f form, fm model.Form) []model.Field {
	if f.raw() {
		return []model.Field{rawField}
	}
	return fm.Fields
}

var titles = map[formKind]string{
	formProgramAdd: "Add a program", formProgramEdit: "Edit program", formProgramRaw: "Edit program file",
	formPoolCreate: "Create a PHP-FPM pool", formPoolEdit: "Edit pool", formPoolRaw: "Edit pool file",
}

// hostIn is the host a form opened in channel acts on: in fleet mode the
// channel's default host (a Runner that knows says so), else this host.
func (a *Adapter) hostIn(channel string) string {
	if r, ok := a.run.(interface{ HostIn(channel string) string }); ok {
		return r.HostIn(channel)
	}
	return a.run.Host()
}

// buildView draws form fm of kind f (or, for a raw editor, content); it
// records what an edit form shows in m and stores m in the view.
func (a *Adapter) buildView(f form, fm model.Form, content string, m *meta) slackgo.ModalViewRequest {
	host := a.hostIn(m.Channel)
	on := "*" + escape(host) + "*"
	if f.PHP != "" {
		on += " (PHP-FPM *" + escape(f.PHP) + "*)"
	}
	intro := "On " + on + ". Empty fields are left out; the change is checked (like `--plan`) before anything is applied."
	if f.Name != "" {
		intro = "*" + escape(f.Name) + "* on " + on + ". The change is checked (like `--plan`) before anything is applied."
	}
	blocks := []slackgo.Block{section(intro)}
	if !f.raw() && fm.Edit() {
		m.Shown = fm.Shown().Encode()
	}
	for _, fl := range fieldsOf(f, fm) {
		if fl.Name == fieldContent {
			fl.Value = content
		}
		blocks = append(blocks, inputBlock(fl))
	}
	raw, _ := json.Marshal(m)
	return slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		Title:           plain(truncate(titles[f.Kind], maxModalTitle)),
		Submit:          plain("Apply"),
		Close:           plain("Cancel"),
		CallbackID:      actionPrefix + string(f.Kind),
		PrivateMetadata: truncate(string(raw), maxPrivateMetadata),
		Blocks:          slackgo.Blocks{BlockSet: fitBlocks(blocks, maxModalBlocks)},
	}
}

// inputBlock draws a field: a static select for a choice, else a plain
// text input, multiline for KEY=VALUE lines.
func inputBlock(fl model.Field) *slackgo.InputBlock {
	var hint *slackgo.TextBlockObject
	if fl.Hint != "" {
		hint = plain(fl.Hint)
	}
	var el slackgo.BlockElement
	if len(fl.Choices) > 0 {
		opts := make([]*slackgo.OptionBlockObject, len(fl.Choices))
		for i, c := range fl.Choices {
			opts[i] = slackgo.NewOptionBlockObject(c, plain(truncate(c, maxOptionText)), nil)
		}
		sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain("Choose"), valueAction, opts...)
		if i := slices.IndexFunc(fl.Choices, func(c string) bool { return strings.EqualFold(c, fl.Value) }); i >= 0 {
			sel.InitialOption = opts[i]
		}
		el = sel
	} else {
		in := slackgo.NewPlainTextInputBlockElement(nil, valueAction).WithMaxLength(maxInputLength).WithMultiline(fl.Multiline())
		if fl.Value != "" {
			in = in.WithInitialValue(truncate(fl.Value, maxInputLength))
		}
		el = in
	}
	b := slackgo.NewInputBlock(fl.Name, plain(fl.Label), hint, el)
	b.Optional = !fl.Required
	return b
}
