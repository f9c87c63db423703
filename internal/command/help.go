package command

import (
	"context"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// HelpEntry is one line of help.
type HelpEntry struct {
	Usage     string `json:"usage"`
	Summary   string `json:"summary"`
	Operation string `json:"operation"`
}

// Help returns the ops.help handler: it lists only the commands the asker
// may run, for one topic (fpm, supervisor) or all of them.
func Help(authz ops.Authorizer) ops.Handler { return std().help(authz) }

func (g *grammar) help(authz ops.Authorizer) ops.Handler {
	return ops.ReadFunc(func(_ context.Context, req ops.Request) (ops.Outcome, error) {
		topic, _ := req.Op.Get("topic")
		var entries []HelpEntry
		for _, sp := range g.commands {
			if topic != "" && sp.Words[0] != topic {
				continue
			}
			if !authz.Allowed(req.Actor, sp.Op) {
				continue
			}
			entries = append(entries, HelpEntry{Usage: sp.Usage, Summary: sp.Summary, Operation: sp.Op})
		}
		if len(entries) == 0 {
			return ops.Outcome{Message: "You may not run any command here. Ask an admin for a role (/ops whoami shows your ID).",
				Data: map[string]any{"commands": []HelpEntry{}}}, nil
		}
		width := 0
		for _, e := range entries {
			width = max(width, len(e.Usage))
		}
		var b strings.Builder
		b.WriteString("Commands you may run:\n")
		for _, e := range entries {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, e.Usage, e.Summary)
		}
		b.WriteString("Every command takes --host NAME; every write takes --plan (show what would change, apply nothing).")
		if topic == "" || topic == "fpm" {
			for _, e := range entries {
				if TakesInstance(e.Operation) {
					b.WriteString("\nEvery /fpm command takes --php NAME: which PHP-FPM, where several run (/fpm status lists them).")
					break
				}
			}
		}
		for _, set := range g.flagSets(entries) {
			b.WriteString("\n" + set)
		}
		return ops.Outcome{Message: b.String(), Data: map[string]any{"commands": entries}}, nil
	})
}

// flagSets are the lines that list the flags of the commands in entries
// whose usage names them as a set ([pool flags]): "Pool flags: --user
// ...", once per set, without --raw (which opens a form).
func (g *grammar) flagSets(entries []HelpEntry) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		for _, sp := range g.commands {
			if sp.Usage != e.Usage || sp.FlagSet == "" || seen[sp.FlagSet] {
				continue
			}
			seen[sp.FlagSet] = true
			var names []string
			for _, f := range sp.Flags {
				if f.Name != catalog.RawFlag.Name {
					names = append(names, f.Name)
				}
			}
			out = append(out, sp.FlagSet+": --"+strings.Join(names, " --"))
		}
	}
	return out
}
