package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/nats-io/nkeys"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Exit codes for failures before any operation runs.
const (
	ExitFailed = 1 // config or start-up failure
	ExitUsage  = 2 // bad command line
)

// LocalOptions are the options of exec and console.
type LocalOptions struct {
	ConfigPath  string
	As          string
	JSON        bool
	Interactive bool   // console: print a banner and prompts
	Socket      string // serve's socket, tried before the config (SocketPath)
	Direct      bool   // never the socket: build the bot from the config
	Verbose     bool   // say on stderr whether the socket or the config was used
}

func loadAndBuild(ctx context.Context, path string, stderr io.Writer, minLevel slog.Level, opts ...Option) (*App, error) {
	// Everything serve, exec and console create is their user's alone:
	// the database, the audit, staged copies, new program and pool files.
	syscall.Umask(0o077)
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckFiles(path); err != nil {
		return nil, err
	}
	a, err := New(ctx, cfg, NewLogger(cfg.Log, stderr, minLevel), opts...)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	return a, nil
}

// Exec runs `poolvisor exec`: one command, its result on stdout, and the exit
// code of SPEC §2.
func Exec(ctx context.Context, o LocalOptions, text string, stdout, stderr io.Writer) int {
	if code, ok := execSocket(o, text, stdout, stderr); ok {
		return code
	}
	a, err := loadAndBuild(ctx, o.ConfigPath, stderr, slog.LevelError)
	if err != nil {
		return reportStartup(o, err, stdout, stderr)
	}
	defer a.Close()
	actor, err := shell.Actor(o.As, a.Config.Local.AllowImpersonation)
	if err != nil {
		return reportStartup(o, err, stdout, stderr)
	}
	return shell.Exec(ctx, a.localRunner(), actor, text, o.JSON, stdout)
}

// reportStartup tells why exec could not run; with --json as a failed result,
// so scripts always get one JSON object.
func reportStartup(o LocalOptions, err error, stdout, stderr io.Writer) int {
	if o.JSON {
		shell.Exec(context.Background(), failing{err}, ops.Actor{}, "", true, stdout)
	}
	fmt.Fprintln(stderr, "poolvisor:", err)
	return ExitFailed
}

// failing is a shell.Runner that answers every request with one error.
type failing struct{ err error }

func (f failing) Run(context.Context, ops.Actor, string) ops.Result {
	return ops.Result{Status: ops.StatusFailed, Message: f.err.Error(), Data: map[string]any{}}
}
func (f failing) Host() string { return "" }

// Console runs `poolvisor console` on stdin and stdout.
func Console(ctx context.Context, o LocalOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	if c := dialSocket(ctx, o, stderr); c != nil {
		return shell.Console(ctx, c, c.Actor, stdin, stdout, o.Interactive)
	}
	a, err := loadAndBuild(ctx, o.ConfigPath, stderr, slog.LevelError)
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	defer a.Close()
	actor, err := shell.Actor(o.As, a.Config.Local.AllowImpersonation)
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	return shell.Console(ctx, a.localRunner(), actor, stdin, stdout, o.Interactive)
}

// Serve runs the bot until ctx ends; version is the build's, for fleet agents to announce.
func Serve(ctx context.Context, configPath, version string, stderr io.Writer) int {
	a, err := loadAndBuild(ctx, configPath, stderr, slog.LevelDebug-4, Serving(), WithVersion(version))
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	defer a.Close()
	if err := a.Serve(ctx); err != nil {
		a.Log.Error("serve failed", "err", err)
		return ExitFailed
	}
	return 0
}

// CheckConfig loads and validates the config and prints it with secrets redacted.
func CheckConfig(configPath string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(configPath)
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	if err := cfg.CheckFiles(configPath); err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	out, err := cfg.Redacted()
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	sources, err := config.Sources(configPath, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
		return ExitFailed
	}
	fmt.Fprintf(stdout, "# %s: valid. Effective configuration, secrets redacted:\n", configPath)
	stdout.Write(out)
	fmt.Fprintf(stdout, "# Effective write policy (what a write role can make the daemons do as root):\n")
	for _, l := range WritePolicy(cfg).Describe() {
		fmt.Fprintf(stdout, "#   %s\n", l)
	}
	fmt.Fprintf(stdout, "#   approvals.required: %s, and whatever amounts to one of them\n", strings.Join(cfg.Approvals.Required, ", "))
	if lines := uneditable(context.Background(), cfg); len(lines) > 0 {
		fmt.Fprintf(stdout, "# Program and pool files poolvisor shows and controls but will not edit, and why:\n")
		for _, l := range lines {
			fmt.Fprintf(stdout, "#   %s\n", l)
		}
	} else {
		fmt.Fprintf(stdout, "# Every program and pool file poolvisor found is editable.\n")
	}
	fmt.Fprintf(stdout, "# Where each value not at its default comes from:\n")
	for _, k := range slices.Sorted(maps.Keys(sources)) {
		fmt.Fprintf(stdout, "#   %s: %s\n", k, sources[k])
	}
	return 0
}

// Keygen writes an Ed25519 key pair for fleet signing: the private key (hex
// seed) to path with mode 0600, the public key to path.pub, and prints the
// public key.
func Keygen(path string, stdout, stderr io.Writer) int {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor: generate key:", err)
		return ExitFailed
	}
	if err := writeNew(path, []byte(hex.EncodeToString(priv.Seed())+"\n")); err != nil {
		fmt.Fprintln(stderr, "poolvisor: write key:", err)
		return ExitFailed
	}
	if err := os.WriteFile(path+".pub", []byte(hex.EncodeToString(pub)+"\n"), 0o644); err != nil {
		os.Remove(path) // the one just written: a key without its public half is of no use
		fmt.Fprintln(stderr, "poolvisor: write key:", err)
		return ExitFailed
	}
	fmt.Fprintln(stdout, hex.EncodeToString(pub))
	return 0
}

// KeygenNATS writes a NATS user nkey seed to path with mode 0600, for
// nats.credentials_file, and prints its public key (starting with U) for
// the NATS server's authorization (see deploy/nats/nats-server.conf).
func KeygenNATS(path string, stdout, stderr io.Writer) int {
	kp, err := nkeys.CreateUser()
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor: generate nkey:", err)
		return ExitFailed
	}
	seed, err := kp.Seed()
	if err == nil {
		err = writeNew(path, append(seed, '\n'))
	}
	pub, perr := kp.PublicKey()
	if err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor: write nkey:", err)
		return ExitFailed
	}
	fmt.Fprintln(stdout, pub)
	return 0
}

// writeNew writes a new secret file (mode 0600); it never replaces one.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
	}
	return werr
}
