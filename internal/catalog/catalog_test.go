package catalog

import (
	"slices"
	"testing"
)

// TestFlagsAgree: flags of the same name in different commands (--user of
// pools and programs) parse alike, since the grammar knows one by name.
func TestFlagsAgree(t *testing.T) {
	byName := map[string]Flag{}
	for _, c := range Commands {
		for _, f := range c.Flags {
			if g, ok := byName[f.Name]; ok && (g.Type != f.Type || !slices.Equal(g.Choices, f.Choices)) {
				t.Errorf("--%s is declared twice, as %v %v and %v %v", f.Name, g.Type, g.Choices, f.Type, f.Choices)
			}
			byName[f.Name] = f
		}
	}
}

// TestCommandsCoverOperations: every command runs a declared operation,
// and every operation has a command.
func TestCommandsCoverOperations(t *testing.T) {
	known := map[string]bool{}
	for _, o := range Operations {
		known[o.Name] = true
	}
	reached := map[string]bool{}
	for _, c := range Commands {
		if !known[c.Op] {
			t.Errorf("%s runs %s, which is not an operation", c.Usage, c.Op)
		}
		reached[c.Op] = true
		if c.ApplyOp != "" {
			if !known[c.ApplyOp] {
				t.Errorf("%s --apply runs %s, which is not an operation", c.Usage, c.ApplyOp)
			}
			reached[c.ApplyOp] = true
		}
	}
	for name := range known {
		if !reached[name] {
			t.Errorf("operation %s has no command", name)
		}
	}
}

// TestForms: a flag a form shows has a label, and Discord's forms hold at
// most five inputs (a modal's limit).
func TestForms(t *testing.T) {
	for _, flags := range [][]Flag{PoolFlags, ProgramFlags} {
		for _, f := range flags {
			if f.Forms != 0 && f.Label == "" {
				t.Errorf("--%s is in a form but has no label", f.Name)
			}
		}
		if n := len(InForm(flags, DiscordForm)); n > 5 {
			t.Errorf("Discord's form would have %d inputs; a modal holds 5", n)
		}
	}
}

func TestDefaultApprovals(t *testing.T) {
	want := []string{"fpm.pool.delete", "fpm.service.restart", "fpm.tune.apply", "ops.grant", "supervisor.program.delete",
		"supervisor.program.restart", "supervisor.program.stop", "supervisor.service.restart"}
	if got := DefaultApprovals(); !slices.Equal(got, want) {
		t.Errorf("DefaultApprovals() = %v, want %v", got, want)
	}
}
