package command

import (
	"context"
	"fmt"
	"strings"

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
func Help(authz ops.Authorizer) ops.Handler {
	return ops.ReadFunc(func(_ context.Context, req ops.Request) (ops.Outcome, error) {
		topic, _ := req.Op.Get("topic")
		var entries []HelpEntry
		for _, sp := range specs {
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
		if topic != "ops" && (topic == "" || topic == "fpm") && anyFlags(entries, poolFlags) {
			b.WriteString("\nPool flags: --" + strings.Join(poolFlags, " --"))
		}
		if (topic == "" || topic == "supervisor") && anyFlags(entries, programFlags) {
			b.WriteString("\nProgram flags: --" + strings.Join(programFlags, " --"))
		}
		return ops.Outcome{Message: b.String(), Data: map[string]any{"commands": entries}}, nil
	})
}

func anyFlags(entries []HelpEntry, set []string) bool {
	for _, e := range entries {
		for _, sp := range specs {
			if sp.Usage == e.Usage && len(sp.Flags) > 0 && sp.Flags[0].Name == set[0] {
				return true
			}
		}
	}
	return false
}
