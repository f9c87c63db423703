// Package command is poolvisor's text grammar (SPEC §1): it turns what a user
// types after /fpm, /supervisor or /ops (or after `poolvisor exec --`) into an
// ops.Operation, and it writes the help that lists what a user may run.
package command

import (
	"slices"
	"sync"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// InstanceFlag is the flag that picks a PHP-FPM installation (SPEC §6):
// every /fpm command takes it, as every command takes --host.
const InstanceFlag = catalog.Instance

// TakesInstance reports whether the operation op runs on one PHP-FPM
// installation and so takes --php: every fpm.* operation.
func TakesInstance(op string) bool { return catalog.TakesInstance(op) }

// grammar is a list of commands and every flag they take, by name.
type grammar struct {
	commands []catalog.Command
	flags    map[string]catalog.Flag
}

// std is the grammar of the catalog's commands, built at its first use:
// exec and console import this package and start faster without it when
// serve does the parsing.
var std = sync.OnceValue(func() *grammar { return newGrammar(catalog.Commands) })

func newGrammar(cmds []catalog.Command) *grammar {
	g := &grammar{commands: cmds, flags: map[string]catalog.Flag{}}
	for _, f := range []catalog.Flag{catalog.HostFlag, catalog.PHPFlag, catalog.PlanFlag, catalog.OnFailureFlag} {
		g.flags[f.Name] = f
	}
	for _, c := range cmds {
		for _, f := range c.Flags {
			if _, ok := g.flags[f.Name]; !ok {
				g.flags[f.Name] = f
			}
		}
	}
	return g
}

// takes reports whether sp accepts the flag name: its own, --host, --php
// on an /fpm command, --plan on a write, --on-failure on a backend's write.
func takes(sp *catalog.Command, name string) bool {
	return slices.ContainsFunc(sp.Flags, func(f catalog.Flag) bool { return f.Name == name }) ||
		name == catalog.HostFlag.Name || (name == InstanceFlag && TakesInstance(sp.Op)) ||
		(name == catalog.PlanFlag.Name && (ops.KindOf(sp.Op) == ops.Write || sp.ApplyOp != "")) ||
		(name == catalog.OnFailureFlag.Name && ops.KindOf(sp.Op) == ops.Write && ops.OwnerOf(sp.Op) != ops.OwnerCore)
}
