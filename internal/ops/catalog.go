package ops

import (
	"sort"

	commands "github.com/poolvisor/poolvisor/internal/catalog"
)

// Kind says whether an operation only reads or may change something.
type Kind int

// Kinds of operation.
const (
	Read Kind = iota
	Write
)

// catalog is every operation of SPEC §1 with its kind, as the command
// catalog declares them. The operation name is also its RBAC permission
// and its key in the approval policy.
var catalog = kinds()

func kinds() map[string]Kind {
	m := make(map[string]Kind, len(commands.Operations))
	for _, o := range commands.Operations {
		m[o.Name] = Read
		if o.Kind == commands.Write {
			m[o.Name] = Write
		}
	}
	return m
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
