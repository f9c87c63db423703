package slack

import (
	"encoding/json"
	"slices"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/internal/ops"
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
	fieldName    = "name"
	fieldContent = "content"
	fieldSet     = "set"
	fieldPHP     = ops.InstanceArg // which PHP-FPM, in a new pool's form
	valueAction  = "value"         // the action_id of every form input
)

var nameField = field{ID: fieldName, Label: "Name", Required: true,
	Hint: "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"}

var setField = field{ID: fieldSet, Label: "Other settings", Multiline: true,
	Hint: "One KEY=VALUE a line, for any other key (the --set flag)"}

var programFields = []field{
	{ID: "command", Key: "command", Label: "Command", Required: true, Hint: "The program to run, with its arguments"},
	{ID: "directory", Key: "directory", Label: "Directory", Hint: "Where it runs"},
	{ID: "user", Key: "user", Label: "User", Hint: "The user it runs as"},
	{ID: "autostart", Key: "autostart", Label: "Start with supervisord", Choices: []string{"true", "false"}},
	{ID: "autorestart", Key: "autorestart", Label: "Restart when it exits", Choices: []string{"true", "false", "unexpected"}},
	{ID: "numprocs", Key: "numprocs", Label: "Processes", Hint: "How many copies run"},
	setField,
}

var poolFields = []field{
	{ID: "user", Key: "user", Label: "User", Required: true},
	{ID: "group", Key: "group", Label: "Group"},
	{ID: "listen", Key: "listen", Label: "Listen", Hint: "A unix socket path or IP:PORT; empty for the default socket"},
	{ID: "pm", Key: "pm", Label: "Process manager", Choices: []string{"static", "dynamic", "ondemand"}},
	{ID: "max-children", Key: "pm.max_children", Label: "Max children"},
	{ID: "start-servers", Key: "pm.start_servers", Label: "Start servers", Hint: "dynamic only"},
	{ID: "min-spare", Key: "pm.min_spare_servers", Label: "Min spare servers", Hint: "dynamic only"},
	{ID: "max-spare", Key: "pm.max_spare_servers", Label: "Max spare servers", Hint: "dynamic only"},
	{ID: "max-requests", Key: "pm.max_requests", Label: "Max requests", Hint: "Requests a child serves before it is replaced; 0 for no limit"},
	{ID: "idle-timeout", Key: "pm.process_idle_timeout", Label: "Idle timeout", Hint: "ondemand only, like 10s"},
	{ID: "status-path", Key: "pm.status_path", Label: "Status path", Hint: "Like /status; empty for none"},
	setField,
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
		blocks = append(blocks, inputBlock(field{ID: fieldPHP, Label: "PHP", Choices: a.cfg.PHPInstances, Required: true,
			Hint: "Which PHP-FPM the pool is for"}, a.cfg.DefaultPHP))
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
