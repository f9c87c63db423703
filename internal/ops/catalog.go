package ops

import "sort"

// Kind says whether an operation only reads or may change something.
type Kind int

// Kinds of operation.
const (
	Read Kind = iota
	Write
)

// catalog lists every operation of SPEC §1 with its kind. The operation name
// is also its RBAC permission and its key in the approval policy.
var catalog = map[string]Kind{
	"fpm.pool.list":       Read,
	"fpm.pool.show":       Read,
	"fpm.pool.create":     Write,
	"fpm.pool.edit":       Write,
	"fpm.pool.delete":     Write,
	"fpm.pool.history":    Read,
	"fpm.pool.rollback":   Write,
	"fpm.service.status":  Read,
	"fpm.service.reload":  Write,
	"fpm.service.restart": Write,
	"fpm.tune":            Read,

	"supervisor.program.list":     Read,
	"supervisor.program.show":     Read,
	"supervisor.program.add":      Write,
	"supervisor.program.edit":     Write,
	"supervisor.program.delete":   Write,
	"supervisor.program.start":    Write,
	"supervisor.program.stop":     Write,
	"supervisor.program.restart":  Write,
	"supervisor.program.logs":     Read,
	"supervisor.program.history":  Read,
	"supervisor.program.rollback": Write,
	"supervisor.service.reread":   Read,
	"supervisor.service.update":   Write,
	"supervisor.service.restart":  Write,
	"supervisor.service.status":   Read,
	"supervisor.xmlrpc.show":      Read,
	"supervisor.xmlrpc.set":       Write,
	"supervisor.events.manage":    Write,

	"ops.hosts":     Read,
	"ops.help":      Read,
	"ops.whoami":    Read,
	"ops.approvals": Read,
	"ops.approve":   Write,
	"ops.audit":     Read,
}

// Known reports whether name is an operation of SPEC §1.
func Known(name string) bool {
	_, ok := catalog[name]
	return ok
}

// KindOf returns the kind of the named operation.
func KindOf(name string) Kind { return catalog[name] }

// Names returns every operation name, sorted.
func Names() []string {
	names := make([]string, 0, len(catalog))
	for n := range catalog {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
