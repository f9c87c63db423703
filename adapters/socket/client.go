package socket

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// dialTimeout bounds connecting: a socket nobody accepts on is no serve;
// helloTimeout bounds Dial's question, which a serve answers at once.
const (
	dialTimeout  = 2 * time.Second
	helloTimeout = 5 * time.Second
)

// ErrStopped says the connection ended before the answer did: serve
// stopped (or crashed) while the command ran.
var ErrStopped = errors.New("serve stopped before answering: the command may or may not have run (see `ops audit` once serve is back)")

// Client is a shell.Runner that runs each command through serve's socket.
type Client struct {
	Path  string
	Actor ops.Actor // who serve says the client is
	host  string
	// As is passed on with each request, for serve to refuse.
	As string
}

var _ shell.Runner = (*Client)(nil)

// Dial asks serve at path who the client is: it fails when nothing
// answers there, which is when exec and console work directly instead.
func Dial(ctx context.Context, path string) (*Client, error) {
	c := &Client{Path: path}
	ctx, cancel := context.WithTimeout(ctx, helloTimeout)
	defer cancel()
	f, err := c.do(ctx, Request{Hello: true}, nil)
	if err != nil {
		return nil, err
	}
	if f.Error != "" {
		return nil, errors.New(shell.Printable(f.Error))
	}
	if f.Actor == nil {
		return nil, fmt.Errorf("%s: not a poolvisor socket", path)
	}
	c.Actor, c.host = *f.Actor, f.Host
	return c, nil
}

// Host is the host serve runs on.
func (c *Client) Host() string { return c.host }

// Run sends text to serve and returns its result; the progress reports of
// a long write go to the watcher of ctx. The actor is serve's to decide:
// the one given only receives the text for the requester alone.
func (c *Client) Run(ctx context.Context, actor ops.Actor, text string) ops.Result {
	w := ops.WatcherOf(ctx)
	req := Request{Text: text, Watch: w != nil, JSON: w == nil, As: c.As}
	f, err := c.do(ctx, req, w)
	if err == nil && f.Error != "" {
		err = errors.New("serve refused the request: " + shell.Printable(f.Error))
	}
	if err == nil && f.Result == nil {
		err = errors.New("serve sent no result")
	}
	if err != nil {
		return ops.Result{Status: ops.StatusFailed, Message: err.Error(), Data: map[string]any{}}
	}
	res := f.Result.Result
	res.Attachment = f.Document
	if f.Result.Private != "" {
		res.Private = &ops.Private{To: actor, Text: f.Result.Private}
	}
	return res
}

// ErrNoServe says nothing answers on the socket: no request was sent, so
// working directly instead is safe.
var ErrNoServe = errors.New("no serve answers")

// Exec runs text through serve at path as `poolvisor exec` does without
// --json, in one connection: it prints progress lines and then the answer
// to out, as serve rendered them, and returns the exit code and who serve
// said the client is. An error wrapping ErrNoServe means the request was
// never sent; any other means it may have run.
func Exec(ctx context.Context, path, as, text string, out io.Writer) (code int, actor ops.Actor, err error) {
	c := &Client{Path: path}
	f, err := c.do(ctx, Request{Text: text, Watch: true, As: as, Rendered: true}, shell.ProgressLines(out))
	if err != nil {
		return ops.StatusFailed.ExitCode(), actor, err
	}
	if f.Actor != nil {
		actor = *f.Actor
	}
	if f.Error != "" {
		return ops.StatusFailed.ExitCode(), actor, errors.New("serve refused the request: " + shell.Printable(f.Error))
	}
	if f.Output == nil {
		return ops.StatusFailed.ExitCode(), actor, errors.New("serve sent no answer")
	}
	// What answers on the socket is trusted with neither the terminal nor
	// the exit status: its text is printed as text, and an exit code
	// that is no status's (256 would reach the shell as 0) is a failure.
	if _, err := io.WriteString(out, shell.Printable(*f.Output)+"\n"); err != nil {
		return ops.StatusFailed.ExitCode(), actor, err
	}
	if !statusExit(f.Exit) {
		return ops.StatusFailed.ExitCode(), actor, fmt.Errorf("serve sent exit code %d, which no status has", f.Exit)
	}
	return f.Exit, actor, nil
}

// statusExit reports whether code is the exit code of one of SPEC §2's
// statuses.
func statusExit(code int) bool {
	for _, s := range []ops.Status{ops.StatusOK, ops.StatusFailed, ops.StatusInvalid, ops.StatusDenied, ops.StatusPending, ops.StatusConflict} {
		if s.ExitCode() == code {
			return true
		}
	}
	return false
}

// do sends one request and reads the answer up to its final frame,
// passing progress reports to w.
func (c *Client) do(ctx context.Context, req Request, w ops.Watcher) (Frame, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return Frame{}, fmt.Errorf("%w on %s: %w", ErrNoServe, c.Path, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	b, err := json.Marshal(req)
	if err != nil {
		return Frame{}, err
	}
	if _, err := conn.Write(b); err != nil {
		return Frame{}, fmt.Errorf("send to serve: %w", err)
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var f Frame
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber() // numbers in data reach --json as serve wrote them
		if err := dec.Decode(&f); err != nil {
			return Frame{}, fmt.Errorf("serve's answer: %w", err)
		}
		if f.final() {
			return f, nil
		}
		if w != nil {
			w(*f.Progress)
		}
	}
	if ctx.Err() != nil {
		return Frame{}, ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return Frame{}, fmt.Errorf("%w (%v)", ErrStopped, err)
	}
	return Frame{}, ErrStopped
}
