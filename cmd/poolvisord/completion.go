package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/completion"
)

// subcommands are poolvisor's own, with what completes after each; the
// command text after `exec --` comes from the catalog.
var subcommands = []completion.Subcommand{
	{Name: "serve", Words: []string{"--config"}},
	{Name: "exec", Words: []string{"--config", "--as", "--json", "--socket", "--direct", "--verbose"}},
	{Name: "console", Words: []string{"--config", "--as", "--socket", "--direct", "--verbose"}},
	{Name: "status", Words: []string{"--config", "--as", "--json", "--socket", "--direct", "--verbose", completion.Marker(catalog.ProgramList)}},
	{Name: "check-config", Words: []string{"--config"}},
	{Name: "init", Words: []string{"--out", "--force"}},
	{Name: "audit", Words: []string{"export", "--config", "--since", "--format"}},
	{Name: "keygen", Words: []string{"--out", "--nats"}},
	{Name: "events", Words: []string{"--socket"}},
	{Name: "completion", Words: completion.Shells},
	{Name: "version"},
	{Name: "help"},
}

// completionScript prints the completion script of `poolvisor completion SHELL`.
func completionScript(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "poolvisor completion: name one shell: %s\n", strings.Join(completion.Shells, ", "))
		return app.ExitUsage
	}
	script, err := completion.Script(args[0], "poolvisor", subcommands)
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor completion:", err)
		return app.ExitUsage
	}
	fmt.Fprint(stdout, script)
	return 0
}
