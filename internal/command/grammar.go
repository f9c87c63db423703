// Package command is poolvisor's text grammar (SPEC §1): it turns what a user
// types after /fpm, /supervisor or /ops (or after `poolvisor exec --`) into an
// ops.Operation, and it writes the help that lists what a user may run.
package command

import (
	"slices"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

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

// specs is the whole grammar, in the order help lists it: the catalog's
// commands.
var specs = catalog.Commands

// takes reports whether sp accepts the flag name: its own, --host, --php
// on an /fpm command, --plan on a write.
func takes(sp *catalog.Command, name string) bool {
	return slices.ContainsFunc(sp.Flags, func(f catalog.Flag) bool { return f.Name == name }) ||
		name == catalog.HostFlag.Name || (name == InstanceFlag && TakesInstance(sp.Op)) ||
		(name == catalog.PlanFlag.Name && ops.KindOf(sp.Op) == ops.Write)
}
