package ops

import (
	"sort"
	"sync"

	commands "github.com/poolvisor/poolvisor/internal/catalog"
)

// Kind says whether an operation only reads or may change something.
type Kind = commands.Kind

// Kinds of operation.
const (
	Read  = commands.Read
	Write = commands.Write
)

// Owners of operations (catalog.OwnerCore and its kin): a backend's Name
// is its owner (see Backend).
const (
	OwnerCore       = commands.OwnerCore
	OwnerSupervisor = commands.OwnerSupervisor
	OwnerFPM        = commands.OwnerFPM
)

// spec is what the catalog knows of one operation.
type spec struct {
	kind  Kind
	owner string
}

// catalog is every operation of SPEC §1 with its kind and owner, as the
// command catalog declares them. The operation name is also its RBAC
// permission and its key in the approval policy.
var catalog = sync.OnceValue(specs)

func specs() map[string]spec {
	m := make(map[string]spec, len(commands.Operations))
	for _, o := range commands.Operations {
		m[o.Name] = spec{kind: o.Kind, owner: o.Owner}
	}
	return m
}

// Known reports whether name is an operation of SPEC §1.
func Known(name string) bool {
	_, ok := catalog()[name]
	return ok
}

// KindOf returns the kind of the named operation.
func KindOf(name string) Kind { return catalog()[name].kind }

// OwnerOf returns the owner of the named operation ("" when unknown).
func OwnerOf(name string) string { return catalog()[name].owner }

// OwnedBy returns the operations owner owns, sorted.
func OwnedBy(owner string) []string {
	var names []string
	for _, n := range Names() {
		if catalog()[n].owner == owner {
			names = append(names, n)
		}
	}
	return names
}

// Names returns every operation name, sorted.
func Names() []string {
	names := make([]string, 0, len(catalog()))
	for n := range catalog() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
