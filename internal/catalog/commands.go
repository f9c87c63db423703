package catalog

import "strings"

// ArgKind says what a positional argument holds and how it is checked.
type ArgKind int

// Kinds of positional argument.
const (
	Pool     ArgKind = iota // a pool name
	Program                 // a program name
	Process                 // NAME, GROUP:NAME, GROUP:* or all
	Approval                // an approval ID
	Count                   // a positive whole number
	OneOf                   // one of Choices
	Rest                    // every remaining word, joined by spaces
	Signal                  // one of Signals, with or without SIG, any case
	Span                    // a duration like 90s, 2h or 7d, zero or more (each command says what zero means)
	Who                     // a person of rbac.people, or PLATFORM:ID, or a chat mention
	RoleName                // a role's name: letters, digits, _ and -
)

// Signals are the signals /supervisor signal sends (SPEC §6).
var Signals = []string{"HUP", "USR1", "USR2", "TERM", "INT", "QUIT", "KILL", "WINCH"}

// SignalName returns the name of Signals that v means ("hup", "SIGHUP"
// and "HUP" all mean HUP), and whether it is one.
func SignalName(v string) (string, bool) {
	name := strings.ToUpper(v)
	name = strings.TrimPrefix(name, "SIG")
	for _, s := range Signals {
		if s == name {
			return s, true
		}
	}
	return "", false
}

// Arg is a positional argument of a command. The grammar writes it as
// Name in usage; Discord names its option Option.
type Arg struct {
	Name     string
	Kind     ArgKind
	Optional bool
	Choices  []string
	Option   string // Discord's option name: name for a pool, program for a program
	Desc     string // Discord's option description
}

// The live lists that complete arguments: Discord's autocomplete and the
// shell's completion (through serve's socket) offer their names.
const (
	PoolList    = "pool"    // the pools
	ProgramList = "program" // the processes, and their groups as GROUP:*
)

// List returns the live list that completes a, or "" for none.
func (a Arg) List() string {
	switch a.Kind {
	case Pool:
		return PoolList
	case Program, Process:
		return ProgramList
	}
	return ""
}

// Auto reports whether Discord autocompletes a: pools and programs come
// from the live lists.
func (a Arg) Auto() bool { return a.List() != "" }

// KV is an argument a command's words imply, like decision=deny.
type KV struct{ Key, Value string }

// Command is one command of the grammar: the words that select it after
// the slash, the operation it runs, its arguments and flags, and how help
// and Discord describe it.
type Command struct {
	Words   []string
	Aliases [][]string
	// Discord is its path in Discord's tree, after the top-level command,
	// where that differs from Words[1:] (Discord cannot hold a
	// subcommand and a group of the same name).
	Discord []string
	Op      string
	Args    []Arg
	Flags   []Flag
	Fixed   []KV
	Usage   string
	Summary string
	// FlagSet names its flags in help, where usage names them as a set.
	FlagSet string
	// Desc is Discord's description where it is not Summary capitalized.
	Desc string
	// ApplyOp is the write the --apply switch turns the command into
	// (fpm.tune becomes fpm.tune.apply): the same words and flags, but a
	// write that RBAC, approvals and --plan treat as one.
	ApplyOp string
}

// Top is the slash command a command belongs to: fpm, supervisor or ops.
func (c Command) Top() string { return c.Words[0] }

// The option names Discord gives positional arguments: a pool is name, a
// program program (SPEC §4). Autocomplete answers them from the live
// lists.
const (
	PoolOption    = "name"
	ProgramOption = "program"
)

// Positional arguments shared by many commands.
var (
	poolArg    = Arg{Name: "NAME", Kind: Pool, Option: PoolOption, Desc: "The pool"}
	programArg = Arg{Name: "NAME", Kind: Program, Option: ProgramOption, Desc: "The program"}
	processArg = Arg{Name: "NAME|GROUP:*|all", Kind: Process, Option: ProgramOption, Desc: "NAME, GROUP:* or all"}
	versionArg = Arg{Name: "VERSION", Kind: Count, Optional: true, Option: "version",
		Desc: "The version to restore (default: the previous one)"}
	approvalArg = Arg{Name: "ID", Kind: Approval, Option: "id", Desc: "The approval request's ID"}
	roleArg     = Arg{Name: "ROLE", Kind: RoleName, Option: "role", Desc: "A role of rbac.roles"}
	spanArg     = Arg{Name: "DURATION", Kind: Span, Option: "duration", Desc: "How long, like 30m or 2h"}
)

// Spelling says how an argument of operation op is written in command
// text: positional (an argument after the target, like SIGNAL), a switch
// (--rolling, without its value), or a flag with its value.
func Spelling(op, key string) (positional, isSwitch bool) {
	for _, c := range Commands {
		if c.Op != op {
			continue
		}
		for i, a := range c.Args {
			if i > 0 && a.Kind != Rest && strings.ToLower(a.Name) == key {
				return true, false
			}
		}
		for _, f := range c.Flags {
			if f.Name == key {
				return false, f.Type == Switch
			}
		}
	}
	return false, false
}

func args(a ...Arg) []Arg    { return a }
func flags(f ...Flag) []Flag { return f }
func edit(fs []Flag) []Flag  { return append(append([]Flag(nil), fs...), RawFlag) }
func fixed(k, v string) []KV { return []KV{{k, v}} }

// Commands is the whole grammar, in the order help and Discord list it.
var Commands = []Command{
	{Words: []string{"fpm", "pools"}, Aliases: [][]string{{"fpm", "pool", "list"}}, Op: "fpm.pool.list",
		Usage: "/fpm pools", Summary: "list PHP-FPM pools"},
	{Words: []string{"fpm", "pool", "show"}, Op: "fpm.pool.show", Args: args(poolArg),
		Usage: "/fpm pool show NAME", Summary: "show a pool's directives"},
	{Words: []string{"fpm", "pool", "create"}, Op: "fpm.pool.create", Args: args(poolArg), Flags: PoolFlags,
		Usage: "/fpm pool create NAME [pool flags]", Summary: "create a pool", FlagSet: "Pool flags"},
	{Words: []string{"fpm", "pool", "edit"}, Op: "fpm.pool.edit", Args: args(poolArg), Flags: edit(PoolFlags),
		Usage: "/fpm pool edit NAME [pool flags]", Summary: "change a pool's directives", FlagSet: "Pool flags"},
	{Words: []string{"fpm", "pool", "delete"}, Op: "fpm.pool.delete", Args: args(poolArg),
		Usage: "/fpm pool delete NAME", Summary: "delete a pool"},
	{Words: []string{"fpm", "pool", "history"}, Op: "fpm.pool.history", Args: args(poolArg), Flags: flags(VersionFlag),
		Usage: "/fpm pool history NAME [--version N]", Summary: "versions of a pool's file"},
	{Words: []string{"fpm", "pool", "rollback"}, Op: "fpm.pool.rollback", Args: args(poolArg, versionArg),
		Usage: "/fpm pool rollback NAME [VERSION]", Summary: "restore an earlier version of a pool"},
	{Words: []string{"fpm", "slowlog"}, Op: "fpm.pool.slowlog", Args: args(poolArg), Flags: SlowlogFlags,
		Usage: "/fpm slowlog NAME [--since DURATION] [--limit N]", Summary: "a pool's slow requests, grouped by script and top frame"},
	{Words: []string{"fpm", "status"}, Op: "fpm.service.status",
		Usage: "/fpm status", Summary: "PHP-FPM service state"},
	{Words: []string{"fpm", "reload"}, Op: "fpm.service.reload", Flags: flags(RollingFlag),
		Usage: "/fpm reload [--rolling]", Summary: "reload PHP-FPM gracefully"},
	{Words: []string{"fpm", "restart"}, Op: "fpm.service.restart",
		Usage: "/fpm restart", Summary: "restart PHP-FPM"},
	{Words: []string{"fpm", "workers"}, Op: "fpm.pool.workers", Args: args(poolArg),
		Usage: "/fpm workers NAME", Summary: "a pool's workers: state, request, memory"},
	{Words: []string{"fpm", "tune"}, Op: "fpm.tune", ApplyOp: "fpm.tune.apply",
		Args:  args(Arg{Name: "NAME", Kind: Pool, Optional: true, Option: PoolOption, Desc: "The pool (default: all)"}),
		Flags: TuneFlags,
		Usage: "/fpm tune [NAME] [--budget-mb N] [--apply]", Summary: "share the memory budget among the pools; --apply edits them"},
	{Words: []string{"fpm", "opcache"}, Discord: []string{"opcache", "show"}, Op: "fpm.opcache.status",
		Args:  args(Arg{Name: "POOL", Kind: Pool, Optional: true, Option: PoolOption, Desc: "The pool to ask through (default: the first that can)"}),
		Usage: "/fpm opcache [POOL]", Summary: "the OPcache of the pool's PHP-FPM master: memory, hit rate, cached scripts",
		Desc: "OPcache of a PHP-FPM master: memory, hit rate, cached scripts"},
	{Words: []string{"fpm", "opcache", "reset"}, Op: "fpm.opcache.reset", Args: args(Arg{Name: "POOL", Kind: Pool, Option: PoolOption, Desc: "The pool to reset through"}),
		Usage: "/fpm opcache reset POOL", Summary: "empty the OPcache of the pool's PHP-FPM master (shared by all its pools)",
		Desc: "Empty the OPcache of a PHP-FPM master (shared by all its pools)"},
	{Words: []string{"fpm", "help"}, Op: "ops.help", Fixed: fixed("topic", "fpm"),
		Usage: "/fpm help", Summary: "this list", Desc: "What you may run"},

	{Words: []string{"supervisor", "status"}, Aliases: [][]string{{"supervisor", "list"}}, Op: "supervisor.program.list",
		Args:  args(Arg{Name: "NAME|GROUP:*", Kind: Process, Optional: true, Option: ProgramOption, Desc: "NAME or GROUP:* (default: all)"}),
		Usage: "/supervisor status [NAME|GROUP:*]", Summary: "program states"},
	{Words: []string{"supervisor", "show"}, Op: "supervisor.program.show", Args: args(programArg),
		Usage: "/supervisor show NAME", Summary: "a program's directives and processes"},
	{Words: []string{"supervisor", "add"}, Op: "supervisor.program.add", Args: args(programArg), Flags: ProgramFlags,
		Usage: "/supervisor add NAME --command CMD [program flags]", Summary: "add a program", FlagSet: "Program flags"},
	{Words: []string{"supervisor", "edit"}, Op: "supervisor.program.edit", Args: args(programArg), Flags: edit(ProgramFlags),
		Usage: "/supervisor edit NAME [program flags]", Summary: "change a program", FlagSet: "Program flags"},
	{Words: []string{"supervisor", "delete"}, Op: "supervisor.program.delete", Args: args(programArg),
		Usage: "/supervisor delete NAME", Summary: "delete a program"},
	{Words: []string{"supervisor", "start"}, Op: "supervisor.program.start", Args: args(processArg),
		Usage: "/supervisor start NAME|GROUP:*|all", Summary: "start programs"},
	{Words: []string{"supervisor", "stop"}, Op: "supervisor.program.stop", Args: args(processArg),
		Usage: "/supervisor stop NAME|GROUP:*|all", Summary: "stop programs"},
	{Words: []string{"supervisor", "restart"}, Op: "supervisor.program.restart", Args: args(processArg), Flags: RollFlags,
		Usage: "/supervisor restart NAME|GROUP:*|all [--rolling [--batch N] [--settle DURATION]]", Summary: "restart programs, all at once or a few at a time"},
	{Words: []string{"supervisor", "signal"}, Op: "supervisor.program.signal",
		Args: args(processArg, Arg{Name: "SIGNAL", Kind: Signal, Choices: Signals, Option: "signal",
			Desc: "HUP, USR1, USR2, TERM, INT, QUIT, KILL or WINCH"}),
		Usage: "/supervisor signal NAME|GROUP:*|all SIGNAL", Summary: "send a signal to running programs (HUP, USR1, USR2, TERM, INT, QUIT, KILL, WINCH)"},
	{Words: []string{"supervisor", "logs"}, Op: "supervisor.program.logs",
		Args: args(Arg{Name: "NAME", Kind: Process, Option: ProgramOption, Desc: processArg.Desc}), Flags: LogFlags,
		Usage: "/supervisor logs NAME [--stderr] [--bytes N]", Summary: "the tail of a program's log"},
	{Words: []string{"supervisor", "reread"}, Op: "supervisor.service.reread",
		Usage: "/supervisor reread", Summary: "what changed on disk (applies nothing)"},
	{Words: []string{"supervisor", "update"}, Op: "supervisor.service.update",
		Args:  args(Arg{Name: "NAME", Kind: Program, Optional: true, Option: ProgramOption, Desc: "Only this program"}),
		Usage: "/supervisor update [NAME]", Summary: "apply changed program files"},
	{Words: []string{"supervisor", "restart-service"}, Op: "supervisor.service.restart",
		Usage: "/supervisor restart-service", Summary: "restart supervisord itself"},
	{Words: []string{"supervisor", "xmlrpc"}, Discord: []string{"xmlrpc", "show"}, Op: "supervisor.xmlrpc.show",
		Usage: "/supervisor xmlrpc", Summary: "XML-RPC (inet_http_server) settings"},
	{Words: []string{"supervisor", "xmlrpc", "set"}, Op: "supervisor.xmlrpc.set", Flags: XMLRPCFlags, Fixed: fixed("action", "set"),
		Usage: "/supervisor xmlrpc set --ip IP --port N --username U", Summary: "enable or change XML-RPC over TCP"},
	{Words: []string{"supervisor", "xmlrpc", "disable"}, Op: "supervisor.xmlrpc.set", Fixed: fixed("action", "disable"),
		Usage: "/supervisor xmlrpc disable", Summary: "turn XML-RPC over TCP off"},
	{Words: []string{"supervisor", "info"}, Op: "supervisor.service.status",
		Usage: "/supervisor info", Summary: "supervisord's state, version, pid, config file",
		Desc: "supervisord's state, version, pid, config file"},
	{Words: []string{"supervisor", "events"}, Op: "supervisor.events.manage",
		Args: args(Arg{Name: "enable|disable", Kind: OneOf, Choices: []string{"enable", "disable"},
			Option: "action", Desc: "enable or disable"}),
		Usage: "/supervisor events enable|disable", Summary: "install or remove poolvisor's event listener"},
	{Words: []string{"supervisor", "history"}, Op: "supervisor.program.history", Args: args(programArg), Flags: flags(VersionFlag),
		Usage: "/supervisor history NAME [--version N]", Summary: "versions of a program's file"},
	{Words: []string{"supervisor", "rollback"}, Op: "supervisor.program.rollback", Args: args(programArg, versionArg),
		Usage: "/supervisor rollback NAME [VERSION]", Summary: "restore an earlier version of a program"},
	{Words: []string{"supervisor", "help"}, Op: "ops.help", Fixed: fixed("topic", "supervisor"),
		Usage: "/supervisor help", Summary: "this list", Desc: "What you may run"},

	{Words: []string{"ops", "hosts"}, Op: "ops.hosts", Flags: flags(StateFlag), Usage: "/ops hosts [--state ok|unhealthy|unreachable|problem]",
		Summary: "hosts this bot reaches, with health, problems first"},
	{Words: []string{"ops", "whoami"}, Op: "ops.whoami", Usage: "/ops whoami", Summary: "your identity and roles"},
	{Words: []string{"ops", "approvals"}, Op: "ops.approvals", Usage: "/ops approvals", Summary: "pending approval requests"},
	{Words: []string{"ops", "approve"}, Op: "ops.approve", Args: args(approvalArg), Fixed: fixed("decision", "approve"),
		Usage: "/ops approve ID", Summary: "approve a pending request"},
	{Words: []string{"ops", "deny"}, Op: "ops.approve",
		Args:  args(approvalArg, Arg{Name: "REASON", Kind: Rest, Optional: true, Option: "reason", Desc: "Why"}),
		Fixed: fixed("decision", "deny"),
		Usage: "/ops deny ID [REASON]", Summary: "deny (or withdraw) a pending request"},
	{Words: []string{"ops", "cancel"}, Op: "ops.cancel", Args: args(Arg{Name: "ID", Kind: Approval, Option: "id", Desc: "The run's ID"}),
		Usage: "/ops cancel ID", Summary: "stop a rolling operation before its next step"},
	{Words: []string{"ops", "audit"}, Op: "ops.audit", Args: args(Arg{Name: "N", Kind: Count, Optional: true, Option: "n", Desc: "How many"}),
		Flags: AuditFlags,
		Usage: "/ops audit [N] [--since DURATION] [--format text|json|csv]", Summary: "the last N audit entries, or those of the last DURATION"},
	{Words: []string{"ops", "grants"}, Op: "ops.grants", Usage: "/ops grants", Summary: "temporary roles in force, and break-glass sessions to review"},
	{Words: []string{"ops", "grant"}, Op: "ops.grant", Fixed: fixed("action", "grant"),
		Args: args(Arg{Name: "WHO", Kind: Who, Option: "who", Desc: "A person, or slack:ID, discord:ID, local:NAME"},
			roleArg, spanArg, Arg{Name: "REASON", Kind: Rest, Optional: true, Option: "reason", Desc: "Why"}),
		Usage: "/ops grant WHO ROLE DURATION [REASON]", Summary: "give someone a role for a while (at most rbac.max_grant)"},
	{Words: []string{"ops", "revoke"}, Op: "ops.grant", Fixed: fixed("action", "revoke"),
		Args:  args(Arg{Name: "ID", Kind: Approval, Option: "id", Desc: "The grant's ID"}),
		Usage: "/ops revoke ID", Summary: "end a grant or break-glass session now"},
	{Words: []string{"ops", "extend"}, Op: "ops.extend",
		Args: args(Arg{Name: "ID", Kind: Approval, Option: "id", Desc: "Your grant's ID"},
			Arg{Name: "DURATION", Kind: Span, Optional: true, Option: "duration", Desc: "How much longer; default: as long as the grant was given for"}),
		Usage: "/ops extend ID [DURATION]", Summary: "ask an approver for more time on a grant you hold"},
	{Words: []string{"ops", "breakglass"}, Op: "ops.breakglass",
		Args:  args(roleArg, spanArg, Arg{Name: "REASON", Kind: Rest, Option: "reason", Desc: "Why (announced)"}),
		Usage: "/ops breakglass ROLE DURATION REASON", Summary: "take a role at once, without approval; announced and reviewed after"},
	{Words: []string{"ops", "review"}, Op: "ops.review", Args: args(Arg{Name: "ID", Kind: Approval, Option: "id", Desc: "The break-glass session's ID"}),
		Usage: "/ops review ID", Summary: "acknowledge someone else's break-glass session"},
	{Words: []string{"ops", "maintenance"}, Aliases: [][]string{{"ops", "maintenance", "list"}},
		Discord: []string{"maintenance", "list"}, Op: "ops.maintenance.list",
		Usage: "/ops maintenance", Summary: "maintenance windows and mutes under way",
		Desc: "Maintenance windows and mutes under way"},
	{Words: []string{"ops", "maintenance", "start"}, Op: "ops.maintenance", Fixed: fixed("action", "start"),
		Args: args(Arg{Name: "DURATION", Kind: Span, Option: "duration", Desc: "How long, like 30m or 2h"},
			Arg{Name: "REASON", Kind: Rest, Optional: true, Option: "reason", Desc: "Why"}),
		Flags:   flags(FreezeFlag),
		Usage:   "/ops maintenance start DURATION [--freeze] [REASON]",
		Summary: "hold alerts back for a while (--freeze: only approvers may write meanwhile)"},
	{Words: []string{"ops", "maintenance", "stop"}, Op: "ops.maintenance", Fixed: fixed("action", "stop"),
		Usage: "/ops maintenance stop", Summary: "end the maintenance window now and sum up the alerts it held"},
	{Words: []string{"ops", "mute"}, Op: "ops.mute",
		Args: args(Arg{Name: "NAME|GROUP:*|POOL", Kind: Process, Option: ProgramOption, Desc: "The program, GROUP:* or pool"},
			Arg{Name: "DURATION", Kind: Span, Option: "duration", Desc: "How long, like 30m; 0 ends the mute"}),
		Usage: "/ops mute NAME|GROUP:*|POOL DURATION", Summary: "silence a program's or pool's alerts for a while (0 ends the mute)"},
	{Words: []string{"ops", "help"}, Op: "ops.help", Usage: "/ops help", Summary: "what you may run"},
}

// Tops are the slash commands, in the order they are registered.
var Tops = []string{"fpm", "supervisor", "ops"}

// Groups describes each group of commands: a word that several commands
// share after their slash command (/fpm pool create, /fpm pool edit), keyed
// by the slash command and that word ("fpm pool"). In Discord's tree (a
// Command's Discord path, else its Words) each is a subcommand group, which
// Discord requires to have a description.
var Groups = map[string]string{
	"fpm pool":          "One PHP-FPM pool",
	"fpm opcache":       "OPcache of a PHP-FPM master",
	"supervisor xmlrpc": "supervisord's XML-RPC over TCP",
	"ops maintenance":   "Maintenance windows: alerts held back, writes maybe frozen",
}
