package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/poolvisor/poolvisor/internal/app"
)

// runInit is `poolvisor init [--out FILE] [--force]`: it scans the host,
// lists what it found on stderr and writes a starting config to stdout or
// FILE. Exit status: 0 when a config was written (problems listed on stderr
// are still to fix), 1 when the host has neither supervisord nor PHP-FPM or
// the file could not be written, 2 for a bad command line or an existing
// FILE without --force.
func runInit(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("poolvisor init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("out", "", "write the config to FILE (mode 0600) instead of stdout")
	force := flags.Bool("force", false, "with --out: replace an existing FILE")
	// --root scans a fixture tree instead of this host; for tests, so the
	// usage leaves it out.
	root := flags.String("root", "/", "scan the host under this directory (for tests)")
	flags.Usage = func() {
		fmt.Fprint(stderr, "Usage: poolvisor init [--out FILE [--force]]\n\n"+
			"Detects supervisord and every PHP-FPM on this host, lists them on stderr and\n"+
			"writes a starting config to stdout or FILE (see docs/init.md).\n\n"+
			"  --out FILE   write the config to FILE (mode 0600) instead of stdout\n"+
			"  --force      with --out: replace an existing FILE\n")
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return app.ExitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "poolvisor init: unexpected argument %q; use --out FILE to name the file\n", flags.Arg(0))
		return app.ExitUsage
	}
	if *force && *out == "" {
		fmt.Fprintln(stderr, "poolvisor init: --force needs --out FILE")
		return app.ExitUsage
	}
	return app.Init(*root, *out, *force, stdout, stderr)
}
