package catalog

import "slices"

// Kind says whether an operation only reads or may change something.
type Kind int

// Kinds of operation.
const (
	Read Kind = iota
	Write
)

// Owners of operations: the backend that plans and applies each, or the
// pipeline itself. A backend's name is its owner (ops.Backend): the hub
// forwards what a backend owns to its agents, and a host where the backend
// is off answers each of its operations with the reason.
const (
	OwnerCore       = "ops"
	OwnerSupervisor = "supervisor"
	OwnerFPM        = "fpm"
)

// Operation is one operation of SPEC §1. Its name is also its RBAC
// permission and its key in the approval policy.
type Operation struct {
	Name  string
	Owner string
	Kind  Kind
	// Approval says whether a default configuration asks an approver
	// before it runs (approvals.required).
	Approval bool
}

// Operations lists every operation.
var Operations = []Operation{
	{Name: "fpm.pool.list", Owner: OwnerFPM},
	{Name: "fpm.pool.show", Owner: OwnerFPM},
	{Name: "fpm.pool.create", Owner: OwnerFPM, Kind: Write},
	{Name: "fpm.pool.edit", Owner: OwnerFPM, Kind: Write},
	{Name: "fpm.pool.delete", Owner: OwnerFPM, Kind: Write, Approval: true},
	{Name: "fpm.pool.history", Owner: OwnerFPM},
	{Name: "fpm.pool.rollback", Owner: OwnerFPM, Kind: Write},
	{Name: "fpm.pool.slowlog", Owner: OwnerFPM},
	{Name: "fpm.service.status", Owner: OwnerFPM},
	{Name: "fpm.service.reload", Owner: OwnerFPM, Kind: Write},
	{Name: "fpm.service.restart", Owner: OwnerFPM, Kind: Write, Approval: true},
	{Name: "fpm.pool.workers", Owner: OwnerFPM},
	{Name: "fpm.tune", Owner: OwnerFPM},
	{Name: "fpm.opcache.status", Owner: OwnerFPM},
	// An OPcache reset makes every script compile again at its next
	// request: a burst of CPU, no lost state, and less than a reload does
	// (a reload starts a new master with an empty cache), which needs no
	// approval either. So it asks none by default; approvals.required
	// can add it.
	{Name: "fpm.opcache.reset", Owner: OwnerFPM, Kind: Write},
	// fpm.tune.apply is /fpm tune --apply: the advice planned as pool
	// edits. An operation of its own, so that RBAC, the approval policy
	// and the audit see a write, and a viewer who may ask for advice
	// cannot change pools with it. It resizes every pool at once, so by
	// default a second person approves it (SPEC §6: "through approval").
	{Name: "fpm.tune.apply", Owner: OwnerFPM, Kind: Write, Approval: true},

	{Name: "supervisor.program.list", Owner: OwnerSupervisor},
	{Name: "supervisor.program.show", Owner: OwnerSupervisor},
	{Name: "supervisor.program.add", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.program.edit", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.program.delete", Owner: OwnerSupervisor, Kind: Write, Approval: true},
	{Name: "supervisor.program.start", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.program.stop", Owner: OwnerSupervisor, Kind: Write, Approval: true},
	{Name: "supervisor.program.restart", Owner: OwnerSupervisor, Kind: Write, Approval: true},
	{Name: "supervisor.program.signal", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.program.logs", Owner: OwnerSupervisor},
	{Name: "supervisor.program.history", Owner: OwnerSupervisor},
	{Name: "supervisor.program.rollback", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.service.reread", Owner: OwnerSupervisor},
	{Name: "supervisor.service.update", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.service.restart", Owner: OwnerSupervisor, Kind: Write, Approval: true},
	{Name: "supervisor.service.status", Owner: OwnerSupervisor},
	{Name: "supervisor.xmlrpc.show", Owner: OwnerSupervisor},
	{Name: "supervisor.xmlrpc.set", Owner: OwnerSupervisor, Kind: Write},
	{Name: "supervisor.events.manage", Owner: OwnerSupervisor, Kind: Write},

	{Name: "ops.hosts", Owner: OwnerCore},
	{Name: "ops.help", Owner: OwnerCore},
	{Name: "ops.whoami", Owner: OwnerCore},
	{Name: "ops.approvals", Owner: OwnerCore},
	{Name: "ops.approve", Owner: OwnerCore, Kind: Write},
	{Name: "ops.audit", Owner: OwnerCore},
	{Name: "ops.cancel", Owner: OwnerCore, Kind: Write},
	{Name: "ops.grants", Owner: OwnerCore},
	{Name: "ops.grant", Owner: OwnerCore, Kind: Write, Approval: true},
	// ops.extend is a grant's holder asking for more time: a new grant
	// of the same role, which always waits for an approver (its plan says
	// so whatever approvals.required holds), since nobody grants
	// themselves. Holding a grant is what allows asking (authz).
	{Name: "ops.extend", Owner: OwnerCore, Kind: Write},
	{Name: "ops.breakglass", Owner: OwnerCore, Kind: Write},
	{Name: "ops.review", Owner: OwnerCore, Kind: Write},
	// SPEC §6 names one operation for maintenance, "write; read for the
	// list"; RBAC authorizes by name and the catalog gives a name one
	// kind, so the list is an operation of its own that viewers hold.
	{Name: "ops.maintenance", Owner: OwnerCore, Kind: Write},
	{Name: "ops.maintenance.list", Owner: OwnerCore},
	{Name: "ops.mute", Owner: OwnerCore, Kind: Write},
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
// installation and so takes --php: every operation PHP-FPM owns.
func TakesInstance(op string) bool {
	i := slices.IndexFunc(Operations, func(o Operation) bool { return o.Name == op })
	return i >= 0 && Operations[i].Owner == OwnerFPM
}
