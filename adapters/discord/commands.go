package discord

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// The application commands are built from the command catalog
// (internal/catalog, SPEC §4), as the text grammar is: its verbs are
// subcommands, its nouns subcommand groups, its flags options of the same
// names. A test still parses every entry's text with the grammar, for what
// the translation back to text could get wrong.

// optKind is how an option is typed in Discord.
type optKind int

const (
	optString optKind = iota
	optInt
	optBool   // a switch (--plan): present when true
	optBoolV  // a true|false value (--autostart true)
	optChoice // one of choices
)

// option is one option of a subcommand. Positional options (Arg) are
// written first, in order and without a flag; the others as --Name VALUE.
type option struct {
	Name     string
	Desc     string
	Kind     optKind
	Choices  []string
	Arg      bool // positional in the grammar
	Required bool
	Auto     bool // autocompleted from the live lists
}

// subcommand is one leaf of the tree: the words it stands for in the
// grammar, after the top-level command.
type subcommand struct {
	Path []string // like ["pool", "create"] or ["status"]
	// Words are the grammar's words after the top-level command, where
	// they differ from Path (catalog.Command's Discord).
	Words []string
	Op    string
	// ApplyOp is the write its apply option turns it into (catalog.Command).
	ApplyOp string
	Desc    string
	Opts    []option
}

// opOf is the operation sc runs with the options given: its ApplyOp when
// apply is set.
func (sc subcommand) opOf(given []optionValue) string {
	for _, o := range given {
		if b, _ := o.Value.(bool); sc.ApplyOp != "" && o.Name == catalog.ApplyFlag.Name && b {
			return sc.ApplyOp
		}
	}
	return sc.Op
}

// The options of the grammar's common flags.
var (
	planOpt = flagOpt(catalog.PlanFlag)
	// rawOpt is the grammar's --raw of an edit: the whole file in a form.
	rawOpt = flagOpt(catalog.RawFlag)
	// hostOpt is the grammar's --host, which every command takes: where
	// it runs in fleet mode.
	hostOpt = withAuto(flagOpt(catalog.HostFlag))
	// phpOpt is the grammar's --php, which every fpm subcommand takes:
	// which PHP-FPM, on hosts that run several.
	phpOpt = withAuto(flagOpt(catalog.PHPFlag))
)

// setOpts are the grammar's --set KEY=VALUE for directives without an
// option of their own: one directive each, given as typed (a value may
// hold ';' or spaces), so up to three in one command. More go in the form
// (a command given only its target), one a line.
var setOpts = []option{
	flagOpt(catalog.SetFlag),
	{Name: catalog.Set + "2", Desc: "One more directive, KEY=VALUE"},
	{Name: catalog.Set + "3", Desc: "One more directive, KEY=VALUE"},
}

func isSetOpt(name string) bool {
	return slices.ContainsFunc(setOpts, func(o option) bool { return o.Name == name })
}

// flagOpt is the option of a flag of the catalog: its name, its
// description (or the directive it sets) and its type; a true|false
// choice is a boolean.
func flagOpt(f catalog.Flag) option {
	o := option{Name: f.Name, Desc: firstNonEmpty(f.Desc, f.Key)}
	switch {
	case f.Type == catalog.Int:
		o.Kind = optInt
	case f.Type == catalog.Switch:
		o.Kind = optBool
	case f.Type == catalog.Choice && slices.Equal(f.Choices, []string{"true", "false"}):
		o.Kind = optBoolV
	case f.Type == catalog.Choice:
		o.Kind, o.Choices = optChoice, f.Choices
	}
	return o
}

func withAuto(o option) option {
	o.Auto = true
	return o
}

// argOpt is the option of a positional argument of the catalog.
func argOpt(a catalog.Arg) option {
	o := option{Name: a.Option, Desc: a.Desc, Arg: true, Required: !a.Optional, Auto: a.Auto()}
	switch a.Kind {
	case catalog.Count:
		o.Kind = optInt
	case catalog.OneOf, catalog.Signal:
		o.Kind, o.Choices = optChoice, a.Choices
	}
	return o
}

// subcommandOf is the leaf of the tree for command c: its arguments, then
// its flags (--set as setOpts), --plan for a write of a backend, and
// --raw last.
func subcommandOf(c catalog.Command) subcommand {
	sc := subcommand{Path: c.Discord, Op: c.Op, ApplyOp: c.ApplyOp, Desc: c.Desc}
	if sc.Path == nil {
		sc.Path = c.Words[1:]
	} else {
		sc.Words = c.Words[1:]
	}
	if sc.Desc == "" {
		sc.Desc = strings.ToUpper(c.Summary[:1]) + c.Summary[1:]
	}
	for _, a := range c.Args {
		sc.Opts = append(sc.Opts, argOpt(a))
	}
	raw := false
	for _, f := range c.Flags {
		switch {
		case f.Name == catalog.RawFlag.Name:
			raw = true
		case f.Type == catalog.Repeat:
			sc.Opts = append(sc.Opts, setOpts...)
		default:
			sc.Opts = append(sc.Opts, flagOpt(f))
		}
	}
	// ops approve and deny are writes too, but a decision has nothing to
	// plan.
	if (ops.KindOf(c.Op) == ops.Write || c.ApplyOp != "") && c.Top() != "ops" {
		sc.Opts = append(sc.Opts, planOpt)
	}
	if raw {
		sc.Opts = append(sc.Opts, rawOpt)
	}
	return sc
}

// withHost gives every subcommand the host option, last, and every one
// that runs on one PHP-FPM the php option before it.
func withHost(t map[string][]subcommand) map[string][]subcommand {
	for _, scs := range t {
		for i := range scs {
			if command.TakesInstance(scs[i].Op) {
				scs[i].Opts = append(slices.Clip(scs[i].Opts), phpOpt)
			}
			scs[i].Opts = append(slices.Clip(scs[i].Opts), hostOpt)
		}
	}
	return t
}

// tree is every application command: top-level name to subcommands, one
// for each command of the catalog. It is built at its first use, not when
// the package loads: exec and console import it and should start fast.
var tree = sync.OnceValue(func() map[string][]subcommand {
	t := map[string][]subcommand{}
	for _, c := range catalog.Commands {
		t[c.Top()] = append(t[c.Top()], subcommandOf(c))
	}
	return withHost(t)
})

// topLevel is the order the commands are registered in.
var topLevel = catalog.Tops

var topDesc = map[string]string{
	"fpm":        "PHP-FPM pools and service",
	"supervisor": "Supervisor programs and service",
	"ops":        "poolvisor itself: approvals, audit, identity",
}

// grammarPath maps a subcommand's Discord path to the grammar's words
// where they differ: `/supervisor xmlrpc show` is `supervisor xmlrpc`,
// `/fpm opcache show` is `fpm opcache`.
func grammarPath(top string, sc subcommand) []string {
	if sc.Words != nil {
		return append([]string{top}, sc.Words...)
	}
	return append([]string{top}, sc.Path...)
}

// writes reports whether any subcommand of top writes; such commands are
// hidden by default_member_permissions from members who cannot manage the
// server (RBAC still decides every request).
func writes(top string) bool {
	for _, sc := range tree()[top] {
		if ops.KindOf(sc.Op) == ops.Write || sc.ApplyOp != "" {
			return true
		}
	}
	return false
}

// optionValue is one option as it arrived.
type optionValue struct {
	Name  string
	Value any // string, float64 (numbers arrive as JSON numbers) or bool
}

// commandText turns an invoked application command into the grammar's
// text: the words of its path, its positional options in order, then its
// flags. An unknown subcommand yields false.
func commandText(top string, path []string, given []optionValue) (string, bool) {
	var sc *subcommand
	for i := range tree()[top] {
		if slices.Equal(tree()[top][i].Path, path) {
			sc = &tree()[top][i]
		}
	}
	if sc == nil {
		return "", false
	}
	byName := map[string]any{}
	for _, o := range given {
		byName[o.Name] = o.Value
	}
	words := grammarPath(top, *sc)
	var flags []string
	for _, o := range sc.Opts {
		v, ok := byName[o.Name]
		if !ok {
			continue
		}
		s := valueText(v)
		switch {
		case o.Kind == optBool:
			if b, _ := v.(bool); b {
				flags = append(flags, "--"+o.Name)
			}
		case o.Arg:
			words = append(words, command.Word(s))
		case isSetOpt(o.Name):
			if kv := strings.TrimSpace(s); kv != "" {
				flags = append(flags, "--set", command.Word(kv))
			}
		default:
			flags = append(flags, "--"+o.Name, command.Word(s))
		}
	}
	return strings.Join(append(words, flags...), " "), true
}

func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// interactionOptions flattens the options of an application command into
// its subcommand path and the options given to the leaf.
func interactionOptions(opts []*discordgo.ApplicationCommandInteractionDataOption) ([]string, []optionValue, *discordgo.ApplicationCommandInteractionDataOption) {
	var path []string
	var focused *discordgo.ApplicationCommandInteractionDataOption
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommand ||
		opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		path = append(path, opts[0].Name)
		opts = opts[0].Options
	}
	var vals []optionValue
	for _, o := range opts {
		vals = append(vals, optionValue{Name: o.Name, Value: o.Value})
		if o.Focused {
			focused = o
		}
	}
	return path, vals, focused
}
