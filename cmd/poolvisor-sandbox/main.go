// Command poolvisor-sandbox starts and stops the sandboxed supervisord that
// `make demo` runs poolvisor against.
//
//	poolvisor-sandbox up --dir DIR      start it detached, print its URL
//	poolvisor-sandbox status --dir DIR  show its processes
//	poolvisor-sandbox down --dir DIR    stop it
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: poolvisor-sandbox up|status|down --dir DIR")
		return 2
	}
	fs := flag.NewFlagSet("poolvisor-sandbox "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "sandbox directory (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "poolvisor-sandbox: --dir is required")
		return 2
	}
	if err := command(args[0], *dir, stdout); err != nil {
		fmt.Fprintf(stderr, "poolvisor-sandbox %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func command(name, dir string, stdout io.Writer) error {
	switch name {
	case "up":
		s, err := sandbox.StartDemo(dir)
		if err != nil {
			return err
		}
		f, err := sandbox.StartPHPFPMDaemonized(filepath.Join(dir, "fpm"), sandbox.DemoPools()...)
		if err != nil {
			_ = s.Stop()
			return err
		}
		// Shell assignments, for scripts/demo.sh to write its config from.
		for _, kv := range [][2]string{
			{"SUPERVISOR_URL", s.URL}, {"SUPERVISOR_CONFIG", s.ConfigFile}, {"PROGRAM_DIR", s.ProgramDir}, {"LOG_DIR", s.LogDir},
			{"FPM_VERSION", f.Version}, {"FPM_BINARY", f.Binary}, {"FPM_MAIN_CONFIG", f.MainConfig},
			{"FPM_POOL_DIR", f.PoolDir}, {"FPM_SOCKET_DIR", f.SocketDir}, {"FPM_PID_FILE", f.PIDFile},
			{"FPM_USER", f.User}, {"FPM_GROUP", f.Group},
		} {
			fmt.Fprintf(stdout, "%s=%q\n", kv[0], kv[1])
		}
		return nil
	case "down":
		var errs []error
		if f, err := sandbox.AttachPHPFPM(filepath.Join(dir, "fpm")); err == nil {
			errs = append(errs, f.Stop())
		}
		s, err := sandbox.Attach(dir)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		return errors.Join(append(errs, s.Stop())...)
	case "status":
		s, err := sandbox.Attach(dir)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		states, err := s.ProcessStates(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "supervisord pid %d at %s\n", s.PID, s.URL)
		for _, name := range slices.Sorted(maps.Keys(states)) {
			fmt.Fprintf(stdout, "%-24s %s\n", name, states[name])
		}
		return nil
	}
	return errors.New("unknown command (want up, status or down)")
}
