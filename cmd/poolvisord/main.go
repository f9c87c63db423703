// Command poolvisord is the full poolvisor, a ChatOps bot for PHP hosts: it
// runs PHP-FPM pools and Supervisor programs from Slack, Discord and the
// local shell. It is what the thin client cmd/poolvisor hands every command
// to that it does not answer itself through serve's socket, with the same
// arguments, so its command line is poolvisor's. This file only reads the
// command line; internal/app does the rest.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/poolvisor/poolvisor/cmd/internal/cli"
	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/config"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `poolvisor runs the PHP-FPM pools and Supervisor programs of a host from chat.

Usage:
  poolvisor serve   --config FILE        run the bot: HTTP endpoints and/or socket connections
  poolvisor exec    [--socket PATH] [--direct] [--config FILE] [--as USER] [--json] [--verbose] -- TEXT
                                         run one command as a local user and print the result
  poolvisor console [--socket PATH] [--direct] [--config FILE] [--as USER] [--verbose]
                                         an interactive shell (one command per line)
  poolvisor status  [TARGET]             short for: poolvisor exec -- supervisor status [TARGET]
  poolvisor completion bash|zsh|fish     print a shell completion script
  poolvisor check-config --config FILE   load, validate, print the effective config (secrets redacted)
  poolvisor init    [--out FILE [--force]]
                                         detect supervisord and every PHP-FPM here; write a starting config
  poolvisor audit export [--config FILE] [--since DURATION] [--format csv|json]
                                         print the audit trail, secrets masked (reads the data directory)
  poolvisor keygen  --out FILE           write an Ed25519 key pair for fleet signing
  poolvisor keygen  --nats --out FILE    write a NATS user nkey seed (fleet mode's nats.credentials_file)
  poolvisor events  --socket FILE        supervisord event listener (installed by /supervisor events enable)
  poolvisor version

--config defaults to $POOLVISOR_CONFIG, then /etc/poolvisor/poolvisor.yaml.
exec, console and status go through a running serve when it answers on its
socket (--socket, else $POOLVISOR_SOCKET, else /run/poolvisor/poolvisor.sock),
reading no config; serve knows them by their unix user. Otherwise, or with
--direct, they run here with --config.
Try: poolvisor exec -- ops help
`

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return app.ExitUsage
	}
	if args[0] == "init" { // flags of its own, no --config: it writes one
		return runInit(args[1:], stdout, stderr)
	}
	if args[0] == "audit" { // a subcommand of its own: audit export
		return runAudit(args[1:], stdout, stderr)
	}
	if args[0] == "completion" {
		return completionScript(args[1:], stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("poolvisor "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", config.DefaultPath(), "config file")
	var o app.LocalOptions
	switch cmd {
	case "exec", "console", "status":
		fs.StringVar(&o.As, "as", "", "act as this local user (direct mode, with local.allow_impersonation)")
		fs.StringVar(&o.Socket, "socket", "", "serve's socket (default $POOLVISOR_SOCKET, then "+config.DefaultSocket+")")
		fs.BoolVar(&o.Direct, "direct", false, "do not use serve's socket: run here with --config")
		fs.BoolVar(&o.Verbose, "verbose", false, "say on stderr whether serve's socket or --config was used")
		if cmd != "console" {
			fs.BoolVar(&o.JSON, "json", false, "print the result as one JSON object")
		}
	case "keygen":
		fs.String("out", "", "file for the private key; the public key goes to FILE.pub")
		fs.Bool("nats", false, "write a NATS user nkey seed instead; its public key is for the NATS server's config")
	case "events":
		fs.String("socket", "", "the bot's event socket (<data_dir>/events.sock)")
	case "serve", "check-config":
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "poolvisor", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "poolvisor: unknown command %q\n\n%s", cmd, usage)
		return app.ExitUsage
	}
	if err := fs.Parse(args); err != nil {
		return app.ExitUsage
	}
	o.ConfigPath = *configPath
	o.Socket = app.SocketPath(o.Socket)

	switch cmd {
	case "serve":
		return app.Serve(ctx, *configPath, version, stderr)
	case "check-config":
		return app.CheckConfig(*configPath, stdout, stderr)
	case "keygen":
		out := fs.Lookup("out").Value.String()
		if out == "" {
			fmt.Fprintln(stderr, "poolvisor keygen: --out FILE is required")
			return app.ExitUsage
		}
		if fs.Lookup("nats").Value.String() == "true" {
			return app.KeygenNATS(out, stdout, stderr)
		}
		return app.Keygen(out, stdout, stderr)
	case "events":
		socket := fs.Lookup("socket").Value.String()
		if socket == "" {
			fmt.Fprintln(stderr, "poolvisor events: --socket FILE is required")
			return app.ExitUsage
		}
		return app.Events(ctx, socket, stdin, stdout, stderr)
	case "status", "exec":
		words, err := cli.CommandWords(cmd, fs.Args())
		if err != nil {
			fmt.Fprintln(stderr, err)
			return app.ExitUsage
		}
		text := words[0]
		if len(words) > 1 {
			text = command.Join(words)
		}
		return app.Exec(ctx, o, text, stdout, stderr)
	default: // console
		f, isFile := stdin.(*os.File)
		o.Interactive = isFile && term.IsTerminal(int(f.Fd()))
		return app.Console(ctx, o, stdin, stdout, stderr)
	}
}
