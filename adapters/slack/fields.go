package slack

import (
	"encoding/json"
	"slices"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/internal/catalog"
)

// field is one input of a form. Its ID is both the block_id and the flag
// of the grammar it fills (--ID); Key is the directive it shows in a file.
type field struct {
	ID        string
	Label     string
	Hint      string
	Key       string
	Choices   []string // a select instead of a text input
	Multiline bool
	Required  bool
}

// Block ID of the name field (add and create) and of the raw editor.
const (
	fieldName    = catalog.Target
	fieldContent = "content"
	fieldSet     = catalog.Set
	fieldPHP     = catalog.Instance // which PHP-FPM, in a new pool's form
	valueAction  = "value"          // the action_id of every form input
)

var nameField = field{ID: fieldName, Label: "Name", Required: true,
	Hint: "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"}

// programFields and poolFields are the flags the catalog shows in Slack's
// forms, in its order.
var (
	programFields = formFields(catalog.ProgramFlags)
	poolFields    = formFields(catalog.PoolFlags)
)

// formFields makes a field of every flag of flags that Slack's forms show.
func formFields(flags []catalog.Flag) []field {
	var out []field
	for _, f := range catalog.InForm(flags, catalog.SlackForm) {
		out = append(out, field{ID: f.Name, Key: f.Key, Label: f.Label, Hint: f.Hint, Choices: f.Choices,
			Multiline: f.Type == catalog.Repeat, Required: f.Required})
	}
	return out
}

// fieldsOf returns the inputs of a form, in order.
func fieldsOf(f form) []field {
	switch f.Kind {
	case formProgramAdd:
		return append([]field{nameField}, programFields...)
	case formProgramEdit:
		return programFields
	case formPoolCreate:
		return append([]field{nameField}, poolFields...)
	case formPoolEdit:
		return poolFields
	}
	return []field{{ID: fieldContent, Label: "File", Multiline: true, Required: true,
		Hint: "The whole file; it is checked as a whole before anything changes"}}
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

// buildView draws form f with initial values; it records the prefilled
// fields in m and stores m in the view.
func (a *Adapter) buildView(f form, values map[string]string, content string, m *meta) slackgo.ModalViewRequest {
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
	if f.Kind == formPoolCreate && f.PHP == "" && len(a.cfg.PHPInstances) > 1 {
		php := catalog.PHPFlag // its choices are the instances configured here
		blocks = append(blocks, inputBlock(field{ID: php.Name, Label: php.Label, Hint: php.Hint, Choices: a.cfg.PHPInstances,
			Required: true}, a.cfg.DefaultPHP))
	}
	for _, fl := range fieldsOf(f) {
		v := values[fl.ID]
		if fl.ID == fieldContent {
			v = content
		}
		if v != "" && !f.adds() {
			m.Prefilled = append(m.Prefilled, fl.ID)
		}
		blocks = append(blocks, inputBlock(fl, v))
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

func inputBlock(fl field, value string) *slackgo.InputBlock {
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
		if i := slices.IndexFunc(fl.Choices, func(c string) bool { return strings.EqualFold(c, value) }); i >= 0 {
			sel.InitialOption = opts[i]
		}
		el = sel
	} else {
		in := slackgo.NewPlainTextInputBlockElement(nil, valueAction).WithMaxLength(maxInputLength).WithMultiline(fl.Multiline)
		if value != "" {
			in = in.WithInitialValue(truncate(value, maxInputLength))
		}
		el = in
	}
	b := slackgo.NewInputBlock(fl.ID, plain(fl.Label), hint, el)
	b.Optional = !fl.Required
	return b
}
