package app

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"

	"github.com/poolvisor/poolvisor/internal/atomicfile"
	"github.com/poolvisor/poolvisor/internal/hostscan"
)

// Init is `poolvisor init`: it scans the host under root ("/" but in tests),
// lists what it found on stderr and writes a starting config to stdout, or
// to out (mode 0600; an existing file only with force). Exit status: 0 when
// a config was written (problems listed on stderr are still to fix),
// ExitFailed when the host has neither supervisord nor PHP-FPM or the file
// could not be written, ExitUsage for an existing file without force.
func Init(root, out string, force bool, stdout, stderr io.Writer) int {
	if out != "" && !force {
		if _, err := os.Lstat(out); err == nil {
			fmt.Fprintf(stderr, "poolvisor init: %s exists; choose another file, or add --force to replace it\n", out)
			return ExitUsage
		}
	}

	l := hostscan.Scan(root)
	admin := "root"
	if u, err := user.Current(); err == nil {
		admin = u.Username
	}
	text, warn := hostscan.StarterConfig(l, admin)
	l.Problems = append(l.Problems, warn...)
	fmt.Fprintln(stderr, "poolvisor init found:")
	if err := l.WriteText(stderr); err != nil {
		return ExitFailed
	}
	if l.Supervisor == nil && len(l.PHP) == 0 {
		fmt.Fprintln(stderr, "poolvisor init: neither supervisord nor PHP-FPM found, so there is nothing to manage and no config was written; fix the problems above and run it again")
		return ExitFailed
	}

	if out == "" {
		if _, err := io.WriteString(stdout, text); err != nil {
			return ExitFailed
		}
	} else if err := writeConfig(out, []byte(text), force); err != nil {
		fmt.Fprintln(stderr, "poolvisor init:", err)
		if errors.Is(err, fs.ErrExist) {
			return ExitUsage
		}
		return ExitFailed
	} else {
		fmt.Fprintf(stderr, "wrote %s\n", out)
	}
	name := out
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
