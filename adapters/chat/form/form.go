// Package form is the one model of poolvisor's chat forms: the forms that
// add or edit a program or a pool. It says which fields a form shows (from
// the command catalog's flags: name, type, label, hint, choices, default,
// and which forms show it), what they start with (the catalog's defaults
// when adding, the item's current values when editing), and how the
// values submitted become the command text every other input takes, with
// an error on the field it concerns when a value is wrong.
//
// Each platform keeps only its wire format: drawing a Form (Slack's
// blocks, Discord's text inputs, Mattermost's dialog elements) and reading
// a submission back into the values by field name that Text takes.
//
// An edit sends only what the person changed, weighed against what the
// form showed and the item at submission (edit.go): a value changed
// underneath is never silently put back.
//
// An emptied field on edit: a field that shows a current value is
// Required, so no platform lets it be submitted empty, and Text refuses
// it on that field (it knows from Shown which fields had a value). The
// grammar has no flag that removes a directive, and leaving it unchanged
// would quietly ignore what the operator did, so removing a setting is the
// raw editor's work (`edit NAME --raw`), which the error says. A field
// that was empty and is left empty changes nothing.
package form

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Layout is what a platform's form can hold: the catalog's set of flags it
// shows (catalog.SlackForm: all the useful ones; catalog.DiscordForm: the
// short list), and at most how many inputs (0: no limit), the name
// field of a form that adds counted.
type Layout struct {
	Show      catalog.Form
	MaxInputs int
}

// The layouts of the platforms' forms.
var (
	// Full is a form that holds every field the catalog gives forms.
	Full = Layout{Show: catalog.SlackForm}
	// Short is a form of five inputs (Discord's modals, Mattermost's
	// dialogs): the catalog's short list, in its order, cut to five.
	Short = Layout{Show: catalog.DiscordForm, MaxInputs: 5}
)

// Ops are the operations that have a form: those whose command takes a set
// of flags (the pool or the program flags).
var Ops = []string{"supervisor.program.add", "supervisor.program.edit", "fpm.pool.create", "fpm.pool.edit"}

// Field is one input of a form. Its Name is the flag it fills (--Name),
// or catalog.Target for the name of what a form adds, or catalog.Instance
// for the PHP-FPM installation a new pool is for.
type Field struct {
	Name        string
	Label, Hint string
	Type        catalog.Type
	Choices     []string
	Required    bool
	// Key is the directive the field shows, when editing.
	Key string
	// Value is what the field starts with; Current, whether it is the
	// edited item's current value.
	Value   string
	Current bool
}

// Multiline reports whether the field takes several lines (one KEY=VALUE
// a line).
func (f Field) Multiline() bool { return f.Type == catalog.Repeat }

// Form is a form to draw: the command it stands for, what it acts on, and
// its fields in order.
type Form struct {
	Cmd catalog.Command
	// Target is the pool or program it edits, or the name a form that adds
	// was given before it opened (Discord's option); "" for a name field.
	Target string
	// Host and PHP are the --host and --php its command carries, if any.
	Host, PHP string
	Fields    []Field
}

// Edit reports whether the form changes an existing item.
func (f Form) Edit() bool { return strings.HasSuffix(f.Cmd.Op, ".edit") }

// Program reports whether the form is a program's (else a pool's).
func (f Form) Program() bool { return f.Cmd.Top() == "supervisor" }

// Words is the command's words, like "fpm pool edit".
func (f Form) Words() string { return strings.Join(f.Cmd.Words, " ") }

// Lookup returns the catalog's command of op, if op has a form.
func Lookup(op string) (catalog.Command, bool) { return LookupIn(catalog.Commands, op) }

// LookupIn is Lookup in cmds (a test's catalog, catalogtest.Commands).
func LookupIn(cmds []catalog.Command, op string) (catalog.Command, bool) {

	if !slices.Contains(Ops, op) {
		return catalog.Command{}, false
	}
	for _, c := range cmds {
		if c.Op == op {
			return c, true
		}
	}
	return catalog.Command{}, false
}

// OfWords returns the catalog's command whose words are words ("supervisor
// edit"), if it has a form.
func OfWords(words string) (catalog.Command, bool) {
	for _, c := range catalog.Commands {
		if strings.Join(c.Words, " ") == words {
			return Lookup(c.Op)
		}
	}
	return catalog.Command{}, false
}

// nameField is the name of what a form adds.
var nameField = Field{Name: catalog.Target, Label: "Name", Required: true,
	Hint: "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"}

// New returns the form of c in layout l, acting on target (see
// Form.Target), its fields empty. A form that adds without a target asks
// for the name first.
func New(c catalog.Command, target string, l Layout) Form {
	f := Form{Cmd: c, Target: target}
	if !f.Edit() && target == "" {
		f.Fields = append(f.Fields, nameField)
	}
	for _, fl := range catalog.InForm(c.Flags, l.Show) {
		if l.MaxInputs > 0 && len(f.Fields) >= l.MaxInputs {
			break
		}
		f.Fields = append(f.Fields, Field{Name: fl.Name, Label: fl.Label, Hint: fl.Hint, Type: fl.Type,
			Choices: fl.Choices, Required: fl.Required, Key: fl.Key})
	}
	return f
}

// AskPHP puts a required choice of PHP-FPM installation first in a form
// that creates a pool, for a host where several run and none was named.
func (f *Form) AskPHP(instances []string, def string) {
	if f.Program() || f.Edit() || f.PHP != "" || len(instances) < 2 {
		return
	}
	php := catalog.PHPFlag
	f.Fields = slices.Insert(f.Fields, 0, Field{Name: php.Name, Label: php.Label, Hint: php.Hint, Type: catalog.Choice,
		Choices: instances, Required: true, Value: def})
}

// Defaults fills a form that adds with the catalog's defaults, then with
// over (a field's name to its value: the configured pool user, say),
// where over gives one.
func (f *Form) Defaults(over map[string]string) {
	for i, fl := range f.Fields {
		if d, ok := catalog.Lookup(f.Cmd.Flags, fl.Name); ok && d.Default != "" && fl.Value == "" {
			f.Fields[i].Value = d.Default
		}
		if v := over[fl.Name]; v != "" {
			f.Fields[i].Value = v
		}
	}
}

// Prefill fills a form that edits with the item's current directives
// (their keys compared without case, as both file formats read them; a
// choice in the catalog's spelling, so a select shows it). A field with a
// current value is Required: see the package comment.
func (f *Form) Prefill(directives map[string]string) {
	for i, fl := range f.Fields {
		if fl.Key == "" {
			continue
		}
		for k, v := range directives {
			if strings.EqualFold(k, fl.Key) && v != "" {
				f.Fields[i].Value, f.Fields[i].Current, f.Fields[i].Required = fl.canonical(v), true, true
			}
		}
	}
}

// TooLong returns a field whose starting value is longer than max
// characters (runes), if one is. A platform whose inputs hold max does not
// open such a form: a value cut to fit, submitted back, would change the
// setting.
func (f Form) TooLong(max int) (Field, bool) {
	for _, fl := range f.Fields {
		if utf8.RuneCountInString(fl.Value) > max {
			return fl, true
		}
	}
	return Field{}, false
}

// Field returns the field named name.
func (f Form) Field(name string) (Field, bool) {
	i := slices.IndexFunc(f.Fields, func(fl Field) bool { return fl.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return f.Fields[i], true
}

// ErrorField returns the field of the form a refused result concerns
// (ops.Result.Field), or "" when the form has no such field (an error of
// php-fpm -t about the whole file; a flag the form does not show).
func (f Form) ErrorField(res ops.Result) string {
	if _, ok := f.Field(res.Field); ok && res.Field != "" {
		return res.Field
	}
	return ""
}

// base is the command's words, the name and the --host and --php flags.
func (f Form) base(name, php string) []string {
	parts := append(slices.Clone(f.Cmd.Words), command.Word(name))
	if f.Host != "" {
		parts = append(parts, "--"+catalog.HostFlag.Name, command.Word(f.Host))
	}
	if php != "" && !f.Program() {
		parts = append(parts, "--"+catalog.Instance, command.Word(php))
	}
	return parts
}

// OpenText is the command a form for an existing item stands for before
// any value is given: what a platform runs with `show` in place of the
// last word to read the current values, and what it signs for the form.
func (f Form) OpenText() string { return strings.Join(f.base(f.Target, f.PHP), " ") }
