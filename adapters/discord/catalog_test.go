package discord

import (
	"slices"
	"testing"

	"github.com/bwmarrin/discordgo"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
)

// TestAddedFlagReachesTreeAndForm: a pool flag added to the catalog is an
// option of the subcommands that take the pool flags, typed as the
// catalog types it, and an input of the pool form.
func TestAddedFlagReachesTreeAndForm(t *testing.T) {
	fl := catalogtest.Flag
	found := 0
	for _, c := range catalogtest.Commands() {
		sc := subcommandOf(c)
		i := slices.IndexFunc(sc.Opts, func(o option) bool { return o.Name == fl.Name })
		if !slices.ContainsFunc(c.Flags, func(f catalog.Flag) bool { return f.Name == fl.Name }) {
			if i >= 0 {
				t.Errorf("%v has option %s but its command does not take it", c.Words, fl.Name)
			}
			continue
		}
		found++
		if i < 0 {
			t.Errorf("%v has no option %s: %+v", c.Words, fl.Name, sc.Opts)
		} else if o := sc.Opts[i]; o.Kind != optInt || o.Desc != fl.Key {
			t.Errorf("option %+v, want an integer described by its directive", o)
		}
	}
	if found != 2 {
		t.Errorf("%d commands take --%s, want pool create and edit", found, fl.Name)
	}
	c, _ := model.LookupIn(catalogtest.Commands(), "fpm.pool.edit")
	m := modalOf(formModel(c, formTarget{Name: "web"}), formPrefix+"fpm pool edit:web", "Fpm pool edit web")
	var in *discordgo.TextInput
	for _, row := range m.Components {
		if ti := row.(discordgo.ActionsRow).Components[0].(discordgo.TextInput); ti.CustomID == fl.Name {
			in = &ti
		}
	}
	if in == nil {
		t.Fatalf("the pool form has no input %s: %+v", fl.Name, m.Components)
	}
	if in.Label != fl.Label || in.Placeholder != fl.Hint {
		t.Errorf("input %+v, want the catalog's label and hint", in)
	}
}

// TestTreeIsTheCatalog: every command of the catalog is a subcommand.
func TestTreeIsTheCatalog(t *testing.T) {
	n := 0
	for _, top := range topLevel {
		n += len(tree()[top])
	}
	if n != len(catalog.Commands) {
		t.Errorf("%d subcommands for %d commands", n, len(catalog.Commands))
	}
}

// TestGroupsDescribedByTheCatalog: every subcommand group of Discord's tree
// has its description from catalog.Groups, and the catalog describes no
// group the tree does not hold.
func TestGroupsDescribedByTheCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, cmd := range Definitions() {
		for _, o := range cmd.Options {
			if o.Type != discordgo.ApplicationCommandOptionSubCommandGroup {
				continue
			}
			key := cmd.Name + " " + o.Name
			seen[key] = true
			if o.Description == "" || o.Description != catalog.Groups[key] {
				t.Errorf("group %q: description %q, want catalog.Groups' %q", key, o.Description, catalog.Groups[key])
			}
		}
	}
	for key := range catalog.Groups {
		if !seen[key] {
			t.Errorf("catalog.Groups describes %q, which Discord's tree does not hold", key)
		}
	}
	if len(seen) == 0 {
		t.Error("Discord's tree has no groups; the test tests nothing")
	}
}
