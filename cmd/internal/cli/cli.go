// Package cli is what the two poolvisor binaries share of the command
// line: the thin client cmd/poolvisor and the full program cmd/poolvisord
// (the split is tailscale's: a small CLI that starts fast, handing what it
// does not do itself to the daemon binary). It imports nothing but the
// standard library, as the thin client's dependency test checks.
package cli

import (
	"errors"
	"strings"
)

// Exit codes for failures before any operation runs; internal/app has the
// same (app.ExitFailed, app.ExitUsage), which the thin client cannot
// import without what makes it slow to start. A test keeps them equal.
const (
	ExitFailed = 1 // config or start-up failure, or poolvisord missing
	ExitUsage  = 2 // bad command line
)

// CommandWords returns the command that exec or status (cmd) runs, given
// the arguments left after their flags: for status, `supervisor status`
// and its TARGET; for exec, the arguments. One word is the whole command
// as typed (`exec -- "supervisor status"`); several are words the shell
// split, each to stay one word of the grammar (command.Join).
func CommandWords(cmd string, args []string) ([]string, error) {
	if cmd == "status" { // short for exec -- supervisor status [TARGET]
		if len(args) > 1 {
			return nil, errors.New("poolvisor status: at most one TARGET, like: poolvisor status 'queue:*'")
		}
		return append([]string{"supervisor", "status"}, args...), nil
	}
	if strings.TrimSpace(strings.Join(args, " ")) == "" {
		return nil, errors.New("poolvisor exec: give the command after --, like: poolvisor exec -- supervisor status")
	}
	return args, nil
}
