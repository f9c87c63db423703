// Command poolvisor is the thin client of poolvisor, made to start fast:
// it answers `version` and `completion` itself, and runs `exec` and
// `status` through a running serve's socket. Everything else, and exec or
// status whenever they are to work directly (--direct, or no serve
// answers), it hands to poolvisord, the full program, by replacing itself
// with it: same arguments, same environment.
//
// Why two binaries: the full program links Prometheus, NATS, SQLite,
// the chat SDKs and more, whose package inits and pages cost tens of
// milliseconds before main runs; a status through the socket needs none of
// them. dependency_test.go keeps this binary's imports thin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/socket"
	"github.com/poolvisor/poolvisor/cmd/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...", as
// poolvisord's is.
var version = "dev"

func main() {
	args := os.Args[1:]
	code, handled := run(args, os.Stdout, os.Stderr)
	if handled {
		os.Exit(code)
	}
	os.Exit(handOver(args, wantsJSON(args), os.Stdout, os.Stderr))
}

// run does what the thin client does itself; handled is false for
// everything poolvisord is to do.
func run(args []string, stdout, stderr io.Writer) (code int, handled bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "poolvisor", version)
		return 0, true
	case "completion":
		return cli.Completion(args[1:], stdout, stderr), true
	case "exec", "status":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runSocket(ctx, args[0], args[1:], stdout, stderr)
	}
	return 0, false
}

// localOptions are the flags of exec and status, as poolvisord reads them.
type localOptions struct {
	as, socket            string
	direct, verbose, json bool
	text                  string
}

// parseLocal reads exec's or status's command line; ok is false when it is
// not one to run through the socket as it stands (a bad command line
// included: poolvisord says what is wrong with it, as it always has).
func parseLocal(cmd string, args []string) (o localOptions, ok bool) {
	fs := flag.NewFlagSet("poolvisor "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// --config is only read in direct mode, which is poolvisord's.
	fs.String("config", "", "")
	fs.StringVar(&o.as, "as", "", "")
	fs.StringVar(&o.socket, "socket", "", "")
	fs.BoolVar(&o.direct, "direct", false, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	if err := fs.Parse(args); err != nil || o.direct {
		return o, false
	}
	words := fs.Args()
	switch cmd {
	case "status": // short for exec -- supervisor status [TARGET]
		if len(words) > 1 {
			return o, false
		}
		o.text = cli.ShellJoin(append([]string{"supervisor", "status"}, words...))
	default:
		o.text = strings.Join(words, " ")
		if strings.TrimSpace(o.text) == "" {
			return o, false
		}
		if len(words) > 1 {
			o.text = cli.ShellJoin(words)
		}
	}
	o.socket = socketPath(o.socket)
	return o, true
}

// runSocket runs exec or status through serve's socket as poolvisord
// would; handled is false when poolvisord is to run it: direct mode, or
// no serve answered, so nothing was sent.
func runSocket(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) (code int, handled bool) {
	o, ok := parseLocal(cmd, args)
	if !ok {
		return 0, false
	}
	if o.json {
		c, err := socket.Dial(ctx, o.socket)
		if err != nil {
			return 0, false
		}
		c.As = o.as
		if o.verbose {
			fmt.Fprintf(stderr, "poolvisor: through serve on %s, as %s\n", o.socket, shell.Printable(c.Actor.String()))
		}
		return shell.Exec(ctx, c, c.Actor, o.text, true, stdout), true
	}
	code, actor, err := socket.Exec(ctx, o.socket, o.as, o.text, stdout)
	if errors.Is(err, socket.ErrNoServe) {
		return 0, false
	}
	if o.verbose {
		fmt.Fprintf(stderr, "poolvisor: through serve on %s, as %s\n", o.socket, shell.Printable(actor.String()))
	}
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
	}
	return code, true
}

// defaultSocket is config.DefaultSocket, which this binary cannot import
// without viper; a test keeps the two equal.
const defaultSocket = "/run/poolvisor/poolvisor.sock"

// socketPath is app.SocketPath: --socket, else $POOLVISOR_SOCKET, else
// the default.
func socketPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv("POOLVISOR_SOCKET"); p != "" {
		return p
	}
	return defaultSocket
}
