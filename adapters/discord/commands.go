package discord

import (
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// The application commands mirror the text grammar (internal/command and
// SPEC §4): its verbs are subcommands, its nouns subcommand groups, its
// flags options of the same names. A test parses every entry's text with
// the grammar, so the two cannot drift apart unnoticed.

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
	Op   string
	Desc string
	Opts []option
}

// Positional options shared by many subcommands. Pool targets are `name`,
// program targets `program` (SPEC §4).
var (
	poolArg     = option{Name: "name", Desc: "The pool", Arg: true, Required: true, Auto: true}
	programArg  = option{Name: "program", Desc: "The program", Arg: true, Required: true, Auto: true}
	processArg  = option{Name: "program", Desc: "NAME, GROUP:* or all", Arg: true, Required: true, Auto: true}
	versionArg  = option{Name: "version", Desc: "The version to restore (default: the previous one)", Kind: optInt, Arg: true}
	approvalArg = option{Name: "id", Desc: "The approval request's ID", Arg: true, Required: true}
	planOpt     = flagOpt(catalog.PlanFlag)
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

// flagOpts are the options of flags, --set as setOpts, and --plan last.
func flagOpts(flags []catalog.Flag) []option {
	var out []option
	for _, f := range flags {
		if f.Type == catalog.Repeat {
			out = append(out, setOpts...)
			continue
		}
		out = append(out, flagOpt(f))
	}
	return append(out, planOpt)
}

var (
	poolOpts    = flagOpts(catalog.PoolFlags)
	programOpts = flagOpts(catalog.ProgramFlags)
)

func flagOptsOf(flags []catalog.Flag) []option {
	var out []option
	for _, f := range flags {
		out = append(out, flagOpt(f))
	}
	return out
}

func opts(o ...[]option) []option {
	var out []option
	for _, x := range o {
		out = append(out, x...)
	}
	return out
}

func one(o ...option) []option { return o }

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

// tree is every application command: top-level name to subcommands.
var tree = withHost(map[string][]subcommand{
	"fpm": {
		{Path: []string{"pools"}, Op: "fpm.pool.list", Desc: "List PHP-FPM pools"},
		{Path: []string{"pool", "show"}, Op: "fpm.pool.show", Desc: "Show a pool's directives", Opts: one(poolArg)},
		{Path: []string{"pool", "create"}, Op: "fpm.pool.create", Desc: "Create a pool", Opts: opts(one(poolArg), poolOpts)},
		{Path: []string{"pool", "edit"}, Op: "fpm.pool.edit", Desc: "Change a pool's directives", Opts: opts(one(poolArg), poolOpts, one(rawOpt))},
		{Path: []string{"pool", "delete"}, Op: "fpm.pool.delete", Desc: "Delete a pool", Opts: one(poolArg, planOpt)},
		{Path: []string{"pool", "history"}, Op: "fpm.pool.history", Desc: "Versions of a pool's file", Opts: one(poolArg, flagOpt(catalog.VersionFlag))},
		{Path: []string{"pool", "rollback"}, Op: "fpm.pool.rollback", Desc: "Restore an earlier version of a pool", Opts: one(poolArg, versionArg, planOpt)},
		{Path: []string{"status"}, Op: "fpm.service.status", Desc: "PHP-FPM service state"},
		{Path: []string{"reload"}, Op: "fpm.service.reload", Desc: "Reload PHP-FPM gracefully", Opts: one(planOpt)},
		{Path: []string{"restart"}, Op: "fpm.service.restart", Desc: "Restart PHP-FPM", Opts: one(planOpt)},
		{Path: []string{"tune"}, Op: "fpm.tune", Desc: "Advice on pool sizes", Opts: opts(one(
			option{Name: "name", Desc: "The pool (default: all)", Arg: true, Auto: true}), flagOptsOf(catalog.TuneFlags))},
		{Path: []string{"help"}, Op: "ops.help", Desc: "What you may run"},
	},
	"supervisor": {
		{Path: []string{"status"}, Op: "supervisor.program.list", Desc: "Program states", Opts: one(
			option{Name: "program", Desc: "NAME or GROUP:* (default: all)", Arg: true, Auto: true})},
		{Path: []string{"show"}, Op: "supervisor.program.show", Desc: "A program's directives and processes", Opts: one(programArg)},
		{Path: []string{"add"}, Op: "supervisor.program.add", Desc: "Add a program", Opts: opts(one(programArg), programOpts)},
		{Path: []string{"edit"}, Op: "supervisor.program.edit", Desc: "Change a program", Opts: opts(one(programArg), programOpts, one(rawOpt))},
		{Path: []string{"delete"}, Op: "supervisor.program.delete", Desc: "Delete a program", Opts: one(programArg, planOpt)},
		{Path: []string{"start"}, Op: "supervisor.program.start", Desc: "Start programs", Opts: one(processArg, planOpt)},
		{Path: []string{"stop"}, Op: "supervisor.program.stop", Desc: "Stop programs", Opts: one(processArg, planOpt)},
		{Path: []string{"restart"}, Op: "supervisor.program.restart", Desc: "Restart programs", Opts: one(processArg, planOpt)},
		{Path: []string{"logs"}, Op: "supervisor.program.logs", Desc: "The tail of a program's log", Opts: opts(one(processArg), flagOptsOf(catalog.LogFlags))},
		{Path: []string{"reread"}, Op: "supervisor.service.reread", Desc: "What changed on disk (applies nothing)"},
		{Path: []string{"update"}, Op: "supervisor.service.update", Desc: "Apply changed program files", Opts: one(
			option{Name: "program", Desc: "Only this program", Arg: true, Auto: true}, planOpt)},
		{Path: []string{"restart-service"}, Op: "supervisor.service.restart", Desc: "Restart supervisord itself", Opts: one(planOpt)},
		{Path: []string{"xmlrpc", "show"}, Op: "supervisor.xmlrpc.show", Desc: "XML-RPC (inet_http_server) settings"},
		{Path: []string{"xmlrpc", "set"}, Op: "supervisor.xmlrpc.set", Desc: "Enable or change XML-RPC over TCP", Opts: opts(flagOptsOf(catalog.XMLRPCFlags), one(planOpt))},
		{Path: []string{"xmlrpc", "disable"}, Op: "supervisor.xmlrpc.set", Desc: "Turn XML-RPC over TCP off", Opts: one(planOpt)},
		{Path: []string{"info"}, Op: "supervisor.service.status", Desc: "supervisord's state, version, pid, config file"},
		{Path: []string{"events"}, Op: "supervisor.events.manage", Desc: "Install or remove poolvisor's event listener", Opts: one(
			option{Name: "action", Desc: "enable or disable", Kind: optChoice, Choices: []string{"enable", "disable"}, Arg: true, Required: true})},
		{Path: []string{"history"}, Op: "supervisor.program.history", Desc: "Versions of a program's file", Opts: one(programArg, flagOpt(catalog.VersionFlag))},
		{Path: []string{"rollback"}, Op: "supervisor.program.rollback", Desc: "Restore an earlier version of a program", Opts: one(programArg, versionArg, planOpt)},
		{Path: []string{"help"}, Op: "ops.help", Desc: "What you may run"},
	},
	"ops": {
		{Path: []string{"hosts"}, Op: "ops.hosts", Desc: "Hosts this bot reaches, with health"},
		{Path: []string{"whoami"}, Op: "ops.whoami", Desc: "Your identity and roles"},
		{Path: []string{"approvals"}, Op: "ops.approvals", Desc: "Pending approval requests"},
		{Path: []string{"approve"}, Op: "ops.approve", Desc: "Approve a pending request", Opts: one(approvalArg)},
		{Path: []string{"deny"}, Op: "ops.approve", Desc: "Deny (or withdraw) a pending request", Opts: one(approvalArg,
			option{Name: "reason", Desc: "Why", Arg: true})},
		{Path: []string{"audit"}, Op: "ops.audit", Desc: "The last N audit entries", Opts: one(
			option{Name: "n", Desc: "How many", Kind: optInt, Arg: true})},
		{Path: []string{"help"}, Op: "ops.help", Desc: "What you may run"},
	},
})

// topLevel is the order the commands are registered in.
var topLevel = []string{"fpm", "supervisor", "ops"}

var topDesc = map[string]string{
	"fpm":        "PHP-FPM pools and service",
	"supervisor": "Supervisor programs and service",
	"ops":        "poolvisor itself: approvals, audit, identity",
}

// grammarPath maps a subcommand's Discord path to the grammar's words
// where they differ: `/supervisor xmlrpc show` is `supervisor xmlrpc`.
func grammarPath(top string, sc subcommand) []string {
	words := append([]string{top}, sc.Path...)
	if top == "supervisor" && slices.Equal(sc.Path, []string{"xmlrpc", "show"}) {
		words = words[:2]
	}
	return words
}

// writes reports whether any subcommand of top writes; such commands are
// hidden by default_member_permissions from members who cannot manage the
// server (RBAC still decides every request).
func writes(top string) bool {
	for _, sc := range tree[top] {
		if ops.KindOf(sc.Op) == ops.Write {
			return true
		}
	}
	return false
}

// quote writes v as one word of the grammar (POSIX single quotes).
func quote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t'\"\\") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
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
	for i := range tree[top] {
		if slices.Equal(tree[top][i].Path, path) {
			sc = &tree[top][i]
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
			words = append(words, quote(s))
		case isSetOpt(o.Name):
			if kv := strings.TrimSpace(s); kv != "" {
				flags = append(flags, "--set", quote(kv))
			}
		default:
			flags = append(flags, "--"+o.Name, quote(s))
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
