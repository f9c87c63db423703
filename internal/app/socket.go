package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/poolvisor/poolvisor/adapters/socket"
	"github.com/poolvisor/poolvisor/adapters/socket/wire"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/printable"
)

// listenSocket opens local.socket for serve, or returns nil when there is
// none: local.socket is empty, or it is the default and its directory
// does not exist (systemd's RuntimeDirectory makes it; a serve started
// another way has no socket then, and says so).
func (a *App) listenSocket() (*socket.Listener, error) {
	path := a.Config.Local.Socket
	if path == "" {
		return nil, nil
	}
	ln, err := socket.Listen(path, a.Config.Local.SocketGroup)
	if errors.Is(err, fs.ErrNotExist) && path == config.DefaultSocket {
		a.Log.Warn("local socket off: its directory does not exist", "socket", path, "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local.socket: %w", err)
	}
	a.Log.Info("local socket listening", "socket", path, "group", a.Config.Local.SocketGroup)
	return ln, nil
}

// serveSocket answers exec and console on ln until ctx ends.
func (a *App) serveSocket(ctx context.Context, ln *socket.Listener) error {
	s := &socket.Server{Runner: a.localRunner(), Log: a.Log}
	return s.Serve(ctx, ln)
}

// dialSocket returns a client of the running serve that exec and console
// should use, or nil when they should work directly: --direct, or nothing
// answers on the socket. With --verbose it says which on stderr.
func dialSocket(ctx context.Context, o LocalOptions, stderr io.Writer) *socket.Client {
	say := func(format string, args ...any) {
		if o.Verbose {
			fmt.Fprintf(stderr, "poolvisor: "+format+"\n", args...)
		}
	}
	if o.Direct {
		say("direct (--direct), config %s", o.ConfigPath)
		return nil
	}
	c, err := socket.Dial(ctx, o.Socket)
	if err != nil {
		sayDirect(o, err, stderr)
		return nil
	}
	c.As = o.As
	say("through serve on %s, as %s", o.Socket, printable.String(c.Actor.String()))
	return c
}

// sayDirect says why exec or console works directly: serve did not answer
// on the socket (err).
func sayDirect(o LocalOptions, err error, stderr io.Writer) {
	if errors.Is(err, fs.ErrPermission) {
		// Said even without --verbose: serve may well be running, and the
		// direct mode that follows is likely to fail on the config.
		fmt.Fprintf(stderr, "poolvisor: may not connect to serve on %s (is this user in local.socket_group?): working directly with %s\n", o.Socket, o.ConfigPath)
		return
	}
	if o.Verbose {
		fmt.Fprintf(stderr, "poolvisor: direct, config %s: no serve answers on %s (%v)\n", o.ConfigPath, o.Socket, err)
	}
}

// execSocket runs exec through serve's socket in one connection, serve
// rendering the answer (text, or the JSON object): ok is false when no
// serve answers, and exec then works directly, as dialSocket says.
func execSocket(o LocalOptions, text string, stdout, stderr io.Writer) (code int, ok bool) {
	if o.Direct {
		dialSocket(context.Background(), o, stderr) // says so, with --verbose
		return 0, false
	}
	code, who, err := wire.Exec(o.Socket, wire.Request{Text: text, JSON: o.JSON, Watch: true, As: o.As}, stdout)
	if errors.Is(err, wire.ErrNoServe) {
		sayDirect(o, err, stderr)
		return 0, false
	}
	if o.Verbose {
		fmt.Fprintf(stderr, "poolvisor: through serve on %s, as %s\n", o.Socket, who)
	}
	if err != nil {
		fmt.Fprintln(stderr, "poolvisor:", err)
	}
	return code, true
}

// SocketPath is where exec and console look for serve: --socket, else
// $POOLVISOR_SOCKET, else the default.
func SocketPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv("POOLVISOR_SOCKET"); p != "" {
		return p
	}
	return config.DefaultSocket
}
