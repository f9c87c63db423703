// Command poolvisor is the thin client of poolvisor, made to start fast:
// it answers `version` itself, runs `exec` and `status` through a running
// serve's socket, and asks it for the names that shell completion offers. Everything else, and exec or
// status whenever they are to work directly (--direct, or no serve
// answers), it hands to poolvisord, the full program, by replacing itself
// with it: same arguments, same environment.
//
// Why two binaries: the full program links Prometheus, NATS, SQLite,
// the chat SDKs and more, whose package inits and pages cost tens of
// milliseconds before main runs; a status through the socket needs none of
// them. It links the standard library and three small packages of ours
// (wire, printable, cli); dependency_test.go keeps it so.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"unicode"

	"github.com/poolvisor/poolvisor/adapters/socket/wire"
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
	case namesCommand:
		return names(args[1:], stdout), true
	case "exec", "status":
		return runSocket(args[0], args[1:], stdout, stderr)
	}
	return 0, false
}

// localOptions are the flags of exec and status, as poolvisord reads them.
type localOptions struct {
	as, socket            string
	direct, verbose, json bool
	words                 []string // the command (cli.CommandWords)
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
	words, err := cli.CommandWords(cmd, fs.Args())
	if err != nil {
		return o, false
	}
	o.words = words
	o.socket = socketPath(o.socket)
	return o, true
}

// runSocket runs exec or status through serve's socket as poolvisord
// would; handled is false when poolvisord is to run it: direct mode, or
// no serve answered, so nothing was sent.
func runSocket(cmd string, args []string, stdout, stderr io.Writer) (code int, handled bool) {
	o, ok := parseLocal(cmd, args)
	if !ok {
		return 0, false
	}
	req := wire.Request{JSON: o.json, Watch: true, As: o.as}
	if len(o.words) == 1 { // the whole command, as typed
		req.Text = o.words[0]
	} else {
		req.Words = o.words
	}
	if o.json {
		stdout = jsonOnInterrupt(stdout)
	}
	code, who, err := wire.Exec(o.socket, req, stdout)
	if errors.Is(err, wire.ErrNoServe) {
		return 0, false
	}
	if o.verbose {
		fmt.Fprintf(stderr, "poolvisor: through serve on %s, as %s\n", o.socket, who)
	}
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
	}
	return code, true
}

// jsonOnInterrupt returns stdout for `exec --json`, which prints one JSON
// object whatever happens: an interrupt (SIGINT, SIGTERM) that comes
// before the answer prints a failed one and exits 130. Without --json
// the default ends the client (closing the connection) as well, and
// costs nothing: installing a handler is a tenth of a status's time.
func jsonOnInterrupt(stdout io.Writer) io.Writer {
	w := &onceWriter{w: stdout}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		w.mu.Lock() // held to the end: the answer is not printed after this
		if !w.wrote {
			fmt.Fprintln(w.w, wire.FailedJSON("interrupted ("+s.String()+") before serve answered: the command may or may not have run (see `ops audit`)"))
		}
		os.Exit(130)
	}()
	return w
}

// onceWriter says whether anything was written through it.
type onceWriter struct {
	mu    sync.Mutex
	w     io.Writer
	wrote bool
}

func (o *onceWriter) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.wrote = true
	return o.w.Write(b)
}

// namesCommand is what the completion scripts run for the names of
// programs and pools: `poolvisor __names [--socket PATH] LIST`.
const namesCommand = "__names"

// names prints the names of a list that serve lets this user see, one a
// line, for shell completion: nothing (and no error) when serve does not
// answer or the user may not list them, as a TAB press should. Only names
// of letters, digits and _ . - : * @ + are printed, and none that begins
// with - (a flag) or @ (the scripts' mark of a list): a name in a
// hand-written config could hold anything, and one with a blank, a $, a
// quote or a backtick would be more than one inert word to a shell.
func names(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("poolvisor "+namesCommand, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sock := fs.String("socket", "", "")
	if fs.Parse(args) != nil || fs.NArg() != 1 {
		return cli.ExitUsage
	}
	list, err := wire.Names(socketPath(*sock), fs.Arg(0))
	if err != nil {
		return 0
	}
	for _, n := range list {
		if n != "" && !strings.ContainsFunc(n, notNameRune) && !strings.HasPrefix(n, "-") && !strings.HasPrefix(n, "@") {
			fmt.Fprintln(stdout, n)
		}
	}
	return 0
}

func notNameRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_.-:*@+", r)
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
