package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"

	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/atomicfile"
	"github.com/poolvisor/poolvisor/internal/hostscan"
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
	if *out != "" && !*force {
		if _, err := os.Lstat(*out); err == nil {
			fmt.Fprintf(stderr, "poolvisor init: %s exists; choose another file, or add --force to replace it\n", *out)
			return app.ExitUsage
		}
	}

	l := hostscan.Scan(*root)
	admin := "root"
	if u, err := user.Current(); err == nil {
		admin = u.Username
	}
	text, warn := starterConfig(l, admin)
	l.Problems = append(l.Problems, warn...)
	fmt.Fprintln(stderr, "poolvisor init found:")
	if err := l.WriteText(stderr); err != nil {
		return app.ExitFailed
	}
	if l.Supervisor == nil && len(l.PHP) == 0 {
		fmt.Fprintln(stderr, "poolvisor init: neither supervisord nor PHP-FPM found, so there is nothing to manage and no config was written; fix the problems above and run it again")
		return app.ExitFailed
	}

	if *out == "" {
		if _, err := io.WriteString(stdout, text); err != nil {
			return app.ExitFailed
		}
	} else if err := writeConfig(*out, []byte(text), *force); err != nil {
		fmt.Fprintln(stderr, "poolvisor init:", err)
		if errors.Is(err, fs.ErrExist) {
			return app.ExitUsage
		}
		return app.ExitFailed
	} else {
		fmt.Fprintf(stderr, "wrote %s\n", *out)
	}
	name := *out
	if name == "" {
		name = "FILE"
	}
	fmt.Fprintf(stderr, "next: fix the problems listed (if any), add chat tokens, then run  poolvisor check-config --config %s\n", name)
	return 0
}

// writeConfig writes a new config file of mode 0600, creating its directory
// when missing. Without force it never replaces a file, even one created
// since the check above; with force the replacement is atomic and keeps the
// old file's owner and mode.
func writeConfig(path string, data []byte, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	if force {
		return atomicfile.WriteFile(path, data, 0o600)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path) // the file just created, half written
	}
	return werr
}
