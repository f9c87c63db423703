package catalog

import "slices"

// Kind says whether an operation only reads or may change something.
type Kind int

// Kinds of operation.
const (
	Read Kind = iota
	Write
)

// Operation is one operation of SPEC §1. Its name is also its RBAC
// permission and its key in the approval policy.
type Operation struct {
	Name string
	Kind Kind
	// Approval says whether a default configuration asks an approver
	// before it runs (approvals.required).
	Approval bool
}

// Operations lists every operation.
var Operations = []Operation{
	{Name: "fpm.pool.list"},
	{Name: "fpm.pool.show"},
	{Name: "fpm.pool.create", Kind: Write},
	{Name: "fpm.pool.edit", Kind: Write},
	{Name: "fpm.pool.delete", Kind: Write, Approval: true},
	{Name: "fpm.pool.history"},
	{Name: "fpm.pool.rollback", Kind: Write},
	{Name: "fpm.service.status"},
	{Name: "fpm.service.reload", Kind: Write},
	{Name: "fpm.service.restart", Kind: Write, Approval: true},
	{Name: "fpm.tune"},

	{Name: "supervisor.program.list"},
	{Name: "supervisor.program.show"},
	{Name: "supervisor.program.add", Kind: Write},
	{Name: "supervisor.program.edit", Kind: Write},
	{Name: "supervisor.program.delete", Kind: Write, Approval: true},
	{Name: "supervisor.program.start", Kind: Write},
	{Name: "supervisor.program.stop", Kind: Write, Approval: true},
	{Name: "supervisor.program.restart", Kind: Write, Approval: true},
	{Name: "supervisor.program.logs"},
	{Name: "supervisor.program.history"},
	{Name: "supervisor.program.rollback", Kind: Write},
	{Name: "supervisor.service.reread"},
	{Name: "supervisor.service.update", Kind: Write},
	{Name: "supervisor.service.restart", Kind: Write, Approval: true},
	{Name: "supervisor.service.status"},
	{Name: "supervisor.xmlrpc.show"},
	{Name: "supervisor.xmlrpc.set", Kind: Write},
	{Name: "supervisor.events.manage", Kind: Write},

	{Name: "ops.hosts"},
	{Name: "ops.help"},
	{Name: "ops.whoami"},
	{Name: "ops.approvals"},
	{Name: "ops.approve", Kind: Write},
	{Name: "ops.audit"},
}

// DefaultApprovals returns the operations that ask for approval by
// default, sorted.
func DefaultApprovals() []string {
	var out []string
	for _, o := range Operations {
		if o.Approval {
			out = append(out, o.Name)
		}
	}
	slices.Sort(out)
	return out
}

// TakesInstance reports whether the operation op runs on one PHP-FPM
// installation and so takes --php: every fpm.* operation.
func TakesInstance(op string) bool { return len(op) > 4 && op[:4] == "fpm." }
