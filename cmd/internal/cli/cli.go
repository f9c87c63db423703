// Package cli is what the two poolvisor binaries share of the command
// line: the thin client cmd/poolvisor and the full program cmd/poolvisord
// (the split is tailscale's: a small CLI that starts fast, handing what it
// does not do itself to the daemon binary). It imports nothing heavy, as
// the thin client's dependency test checks.
package cli

import (
	"strings"

	"github.com/poolvisor/poolvisor/internal/command"
)

// Exit codes for failures before any operation runs; internal/app has the
// same (app.ExitFailed, app.ExitUsage), which the thin client cannot
// import without what makes it slow to start. A test keeps them equal.
const (
	ExitFailed = 1 // config or start-up failure, or poolvisord missing
	ExitUsage  = 2 // bad command line
)

// ShellJoin re-quotes words the shell already split, so that
// `poolvisor exec -- supervisor add w --command "php artisan queue:work"`
// reaches the grammar with the command as one word.
func ShellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = command.Word(w)
	}
	return strings.Join(quoted, " ")
}
