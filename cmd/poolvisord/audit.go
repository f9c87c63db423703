package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/config"
)

// runAudit is `poolvisor audit export [--config FILE] [--since DURATION]
// [--format csv|json]`: the audit trail, masked as /ops audit masks it,
// on stdout. It reads the database in the data directory itself, so it
// works without a running serve, for whoever may read that directory
// (root, by default).
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintln(stderr, "Usage: poolvisor audit export [--config FILE] [--since DURATION] [--format csv|json]")
		return app.ExitUsage
	}
	flags := flag.NewFlagSet("poolvisor audit export", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", config.DefaultPath(), "config file")
	since := flags.String("since", "", "only entries of the last DURATION, like 12h or 7d (default: all, up to the export's bound)")
	format := flags.String("format", "csv", "csv (RFC 4180, with a header row) or json (one array, an entry a line)")
	if err := flags.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return app.ExitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "poolvisor audit export: unexpected argument %q\n", flags.Arg(0))
		return app.ExitUsage
	}
	return app.AuditExport(app.ExportOptions{ConfigPath: *configPath, Since: *since, Format: *format}, stdout, stderr)
}
