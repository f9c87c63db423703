package ops

import "sort"

// Kind says whether an operation only reads or may change something.
type Kind int

// Kinds of operation.
const (
	Read Kind = iota
	Write
)

// Owners of operations: the backend that plans and applies each, or the
// pipeline itself. A backend's Name is its owner (see Backend), and this
// catalog is the one place that says which operations it owns: the hub
// forwards them to its agents, and a host where the backend is off answers
// each of them with the reason.
const (
	OwnerCore       = "ops"
	OwnerSupervisor = "supervisor"
	OwnerFPM        = "fpm"
)

// spec is what the catalog knows of one operation.
type spec struct {
	kind  Kind
	owner string
}

// catalog lists every operation of SPEC §1 with its kind and owner. The
// operation name is also its RBAC permission and its key in the approval
// policy.
var catalog = map[string]spec{
	"fpm.pool.list":       {Read, OwnerFPM},
	"fpm.pool.show":       {Read, OwnerFPM},
	"fpm.pool.create":     {Write, OwnerFPM},
	"fpm.pool.edit":       {Write, OwnerFPM},
	"fpm.pool.delete":     {Write, OwnerFPM},
	"fpm.pool.history":    {Read, OwnerFPM},
	"fpm.pool.rollback":   {Write, OwnerFPM},
	"fpm.service.status":  {Read, OwnerFPM},
	"fpm.service.reload":  {Write, OwnerFPM},
	"fpm.service.restart": {Write, OwnerFPM},
	"fpm.tune":            {Read, OwnerFPM},

	"supervisor.program.list":     {Read, OwnerSupervisor},
	"supervisor.program.show":     {Read, OwnerSupervisor},
	"supervisor.program.add":      {Write, OwnerSupervisor},
	"supervisor.program.edit":     {Write, OwnerSupervisor},
	"supervisor.program.delete":   {Write, OwnerSupervisor},
	"supervisor.program.start":    {Write, OwnerSupervisor},
	"supervisor.program.stop":     {Write, OwnerSupervisor},
	"supervisor.program.restart":  {Write, OwnerSupervisor},
	"supervisor.program.logs":     {Read, OwnerSupervisor},
	"supervisor.program.history":  {Read, OwnerSupervisor},
	"supervisor.program.rollback": {Write, OwnerSupervisor},
	"supervisor.service.reread":   {Read, OwnerSupervisor},
	"supervisor.service.update":   {Write, OwnerSupervisor},
	"supervisor.service.restart":  {Write, OwnerSupervisor},
	"supervisor.service.status":   {Read, OwnerSupervisor},
	"supervisor.xmlrpc.show":      {Read, OwnerSupervisor},
	"supervisor.xmlrpc.set":       {Write, OwnerSupervisor},
	"supervisor.events.manage":    {Write, OwnerSupervisor},

	"ops.hosts":     {Read, OwnerCore},
	"ops.help":      {Read, OwnerCore},
	"ops.whoami":    {Read, OwnerCore},
	"ops.approvals": {Read, OwnerCore},
	"ops.approve":   {Write, OwnerCore},
	"ops.audit":     {Read, OwnerCore},
}

// Known reports whether name is an operation of SPEC §1.
func Known(name string) bool {
	_, ok := catalog[name]
	return ok
}

// KindOf returns the kind of the named operation.
func KindOf(name string) Kind { return catalog[name].kind }

// OwnerOf returns the owner of the named operation ("" when unknown).
func OwnerOf(name string) string { return catalog[name].owner }

// OwnedBy returns the operations owner owns, sorted.
func OwnedBy(owner string) []string {
	var names []string
	for _, n := range Names() {
		if catalog[n].owner == owner {
			names = append(names, n)
		}
	}
	return names
}

// Names returns every operation name, sorted.
func Names() []string {
	names := make([]string, 0, len(catalog))
	for n := range catalog {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
