// Package command is poolvisor's text grammar (SPEC §1): it turns what a user
// types after /fpm, /supervisor or /ops (or after `poolvisor exec --`) into an
// ops.Operation, and it writes the help that lists what a user may run.
package command

import (
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// argKind says what a positional argument holds and how it is checked.
type argKind int

const (
	argPool     argKind = iota // a pool name
	argProgram                 // a program name
	argProcess                 // NAME, GROUP:NAME, GROUP:* or all
	argApproval                // an approval ID
	argCount                   // a positive whole number
	argChoice                  // one of choices
	argRest                    // every remaining word, joined by spaces
)

type argSpec struct {
	name     string
	kind     argKind
	optional bool
	choices  []string
}

// flags is every flag of the grammar by name, as the catalog declares
// them. A command names the ones it accepts.
var flags = func() map[string]catalog.Flag {
	m := map[string]catalog.Flag{}
	for _, f := range catalog.All() {
		m[f.Name] = f
	}
	return m
}()

// InstanceFlag is the flag that picks a PHP-FPM installation (SPEC §6):
// every /fpm command takes it, as every command takes --host.
const InstanceFlag = catalog.Instance

// TakesInstance reports whether the operation op runs on one PHP-FPM
// installation and so takes --php: every fpm.* operation.
func TakesInstance(op string) bool { return catalog.TakesInstance(op) }

var (
	poolFlags    = catalog.Names(catalog.PoolFlags)
	programFlags = catalog.Names(catalog.ProgramFlags)
)

// spec is one command of the grammar.
type spec struct {
	path    []string // words that select it, after the slash command
	aliases [][]string
	op      string
	args    []argSpec
	flags   []string
	fixed   []ops.Arg // arguments implied by the words, like decision=deny
	usage   string
	summary string
}

func with(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

var (
	pool     = argSpec{name: "NAME", kind: argPool}
	program  = argSpec{name: "NAME", kind: argProgram}
	process  = argSpec{name: "NAME|GROUP:*|all", kind: argProcess}
	version  = argSpec{name: "VERSION", kind: argCount, optional: true}
	editable = []string{catalog.RawFlag.Name}
)

// specs is the whole grammar, in the order help lists it.
var specs = []spec{
	{path: []string{"fpm", "pools"}, aliases: [][]string{{"fpm", "pool", "list"}}, op: "fpm.pool.list",
		usage: "/fpm pools", summary: "list PHP-FPM pools"},
	{path: []string{"fpm", "pool", "show"}, op: "fpm.pool.show", args: []argSpec{pool},
		usage: "/fpm pool show NAME", summary: "show a pool's directives"},
	{path: []string{"fpm", "pool", "create"}, op: "fpm.pool.create", args: []argSpec{pool}, flags: poolFlags,
		usage: "/fpm pool create NAME [pool flags]", summary: "create a pool"},
	{path: []string{"fpm", "pool", "edit"}, op: "fpm.pool.edit", args: []argSpec{pool}, flags: with(poolFlags, editable...),
		usage: "/fpm pool edit NAME [pool flags]", summary: "change a pool's directives"},
	{path: []string{"fpm", "pool", "delete"}, op: "fpm.pool.delete", args: []argSpec{pool},
		usage: "/fpm pool delete NAME", summary: "delete a pool"},
	{path: []string{"fpm", "pool", "history"}, op: "fpm.pool.history", args: []argSpec{pool}, flags: []string{catalog.VersionFlag.Name},
		usage: "/fpm pool history NAME [--version N]", summary: "versions of a pool's file"},
	{path: []string{"fpm", "pool", "rollback"}, op: "fpm.pool.rollback", args: []argSpec{pool, version},
		usage: "/fpm pool rollback NAME [VERSION]", summary: "restore an earlier version of a pool"},
	{path: []string{"fpm", "status"}, op: "fpm.service.status",
		usage: "/fpm status", summary: "PHP-FPM service state"},
	{path: []string{"fpm", "reload"}, op: "fpm.service.reload",
		usage: "/fpm reload", summary: "reload PHP-FPM gracefully"},
	{path: []string{"fpm", "restart"}, op: "fpm.service.restart",
		usage: "/fpm restart", summary: "restart PHP-FPM"},
	{path: []string{"fpm", "tune"}, op: "fpm.tune", args: []argSpec{{name: "NAME", kind: argPool, optional: true}},
		flags: catalog.Names(catalog.TuneFlags),
		usage: "/fpm tune [NAME] [--ram-mb N] [--reserve-mb N]", summary: "advice on pool sizes"},
	{path: []string{"fpm", "help"}, op: "ops.help", fixed: []ops.Arg{{Key: "topic", Value: "fpm"}},
		usage: "/fpm help", summary: "this list"},

	{path: []string{"supervisor", "status"}, aliases: [][]string{{"supervisor", "list"}}, op: "supervisor.program.list",
		args:  []argSpec{{name: "NAME|GROUP:*", kind: argProcess, optional: true}},
		usage: "/supervisor status [NAME|GROUP:*]", summary: "program states"},
	{path: []string{"supervisor", "show"}, op: "supervisor.program.show", args: []argSpec{program},
		usage: "/supervisor show NAME", summary: "a program's directives and processes"},
	{path: []string{"supervisor", "add"}, op: "supervisor.program.add", args: []argSpec{program}, flags: programFlags,
		usage: "/supervisor add NAME --command CMD [program flags]", summary: "add a program"},
	{path: []string{"supervisor", "edit"}, op: "supervisor.program.edit", args: []argSpec{program}, flags: with(programFlags, editable...),
		usage: "/supervisor edit NAME [program flags]", summary: "change a program"},
	{path: []string{"supervisor", "delete"}, op: "supervisor.program.delete", args: []argSpec{program},
		usage: "/supervisor delete NAME", summary: "delete a program"},
	{path: []string{"supervisor", "start"}, op: "supervisor.program.start", args: []argSpec{process},
		usage: "/supervisor start NAME|GROUP:*|all", summary: "start programs"},
	{path: []string{"supervisor", "stop"}, op: "supervisor.program.stop", args: []argSpec{process},
		usage: "/supervisor stop NAME|GROUP:*|all", summary: "stop programs"},
	{path: []string{"supervisor", "restart"}, op: "supervisor.program.restart", args: []argSpec{process},
		usage: "/supervisor restart NAME|GROUP:*|all", summary: "restart programs"},
	{path: []string{"supervisor", "logs"}, op: "supervisor.program.logs", args: []argSpec{{name: "NAME", kind: argProcess}},
		flags: catalog.Names(catalog.LogFlags),
		usage: "/supervisor logs NAME [--stderr] [--bytes N]", summary: "the tail of a program's log"},
	{path: []string{"supervisor", "reread"}, op: "supervisor.service.reread",
		usage: "/supervisor reread", summary: "what changed on disk (applies nothing)"},
	{path: []string{"supervisor", "update"}, op: "supervisor.service.update",
		args:  []argSpec{{name: "NAME", kind: argProgram, optional: true}},
		usage: "/supervisor update [NAME]", summary: "apply changed program files"},
	{path: []string{"supervisor", "restart-service"}, op: "supervisor.service.restart",
		usage: "/supervisor restart-service", summary: "restart supervisord itself"},
	{path: []string{"supervisor", "xmlrpc"}, op: "supervisor.xmlrpc.show",
		usage: "/supervisor xmlrpc", summary: "XML-RPC (inet_http_server) settings"},
	{path: []string{"supervisor", "xmlrpc", "set"}, op: "supervisor.xmlrpc.set",
		flags: catalog.Names(catalog.XMLRPCFlags), fixed: []ops.Arg{{Key: "action", Value: "set"}},
		usage: "/supervisor xmlrpc set --ip IP --port N --username U", summary: "enable or change XML-RPC over TCP"},
	{path: []string{"supervisor", "xmlrpc", "disable"}, op: "supervisor.xmlrpc.set",
		fixed: []ops.Arg{{Key: "action", Value: "disable"}},
		usage: "/supervisor xmlrpc disable", summary: "turn XML-RPC over TCP off"},
	{path: []string{"supervisor", "info"}, op: "supervisor.service.status",
		usage: "/supervisor info", summary: "supervisord's state, version, pid, config file"},
	{path: []string{"supervisor", "events"}, op: "supervisor.events.manage",
		args:  []argSpec{{name: "enable|disable", kind: argChoice, choices: []string{"enable", "disable"}}},
		usage: "/supervisor events enable|disable", summary: "install or remove poolvisor's event listener"},
	{path: []string{"supervisor", "history"}, op: "supervisor.program.history", args: []argSpec{program}, flags: []string{catalog.VersionFlag.Name},
		usage: "/supervisor history NAME [--version N]", summary: "versions of a program's file"},
	{path: []string{"supervisor", "rollback"}, op: "supervisor.program.rollback", args: []argSpec{program, version},
		usage: "/supervisor rollback NAME [VERSION]", summary: "restore an earlier version of a program"},
	{path: []string{"supervisor", "help"}, op: "ops.help", fixed: []ops.Arg{{Key: "topic", Value: "supervisor"}},
		usage: "/supervisor help", summary: "this list"},

	{path: []string{"ops", "hosts"}, op: "ops.hosts", usage: "/ops hosts", summary: "hosts this bot reaches, with health"},
	{path: []string{"ops", "whoami"}, op: "ops.whoami", usage: "/ops whoami", summary: "your identity and roles"},
	{path: []string{"ops", "approvals"}, op: "ops.approvals", usage: "/ops approvals", summary: "pending approval requests"},
	{path: []string{"ops", "approve"}, op: "ops.approve", args: []argSpec{{name: "ID", kind: argApproval}},
		fixed: []ops.Arg{{Key: "decision", Value: "approve"}},
		usage: "/ops approve ID", summary: "approve a pending request"},
	{path: []string{"ops", "deny"}, op: "ops.approve",
		args:  []argSpec{{name: "ID", kind: argApproval}, {name: "REASON", kind: argRest, optional: true}},
		fixed: []ops.Arg{{Key: "decision", Value: "deny"}},
		usage: "/ops deny ID [REASON]", summary: "deny (or withdraw) a pending request"},
	{path: []string{"ops", "audit"}, op: "ops.audit", args: []argSpec{{name: "N", kind: argCount, optional: true}},
		usage: "/ops audit [N]", summary: "the last N audit entries"},
	{path: []string{"ops", "help"}, op: "ops.help", usage: "/ops help", summary: "what you may run"},
}
