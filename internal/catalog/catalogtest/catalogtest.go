// Package catalogtest gives tests a catalog with one pool flag more than
// the real one, to check that a flag added to the catalog reaches every
// layer derived from it: the grammar, help, Discord's options and both
// platforms' forms.
package catalogtest

import (
	"slices"

	"github.com/poolvisor/poolvisor/internal/catalog"
)

// Flag is a pool flag the real catalog does not have; both forms show it.
var Flag = catalog.Flag{Name: "max-spawn-rate", Type: catalog.Int, Key: "pm.max_spawn_rate",
	Label: "Max spawn rate", Hint: "Children forked per second at most", Forms: catalog.BothForms}

// PoolFlags returns catalog.PoolFlags with Flag before --set.
func PoolFlags() []catalog.Flag {
	flags := slices.Clone(catalog.PoolFlags)
	i := slices.IndexFunc(flags, func(f catalog.Flag) bool { return f.Name == catalog.Set })
	return slices.Insert(flags, i, Flag)
}

// Commands returns catalog.Commands, each command that takes the pool
// flags taking Flag too.
func Commands() []catalog.Command {
	cmds := slices.Clone(catalog.Commands)
	for i, c := range cmds {
		if j := slices.IndexFunc(c.Flags, func(f catalog.Flag) bool { return f.Name == catalog.PoolFlags[0].Name }); j >= 0 && c.Words[0] == "fpm" {
			cmds[i].Flags = slices.Insert(slices.Clone(c.Flags), j+len(catalog.PoolFlags)-1, Flag)
		}
	}
	return cmds
}
