package socket

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/socket/wire"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/printable"
)

// dialTimeout bounds connecting: a socket nobody accepts on is no serve;
// helloTimeout bounds Dial's question, which a serve answers at once.
const (
	dialTimeout  = 2 * time.Second
	helloTimeout = 5 * time.Second
)

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
	f, err := c.do(ctx, wire.Request{Hello: true}, nil)
	if err != nil {
		return nil, err
	}
	if f.Error != "" {
		return nil, errors.New(printable.String(f.Error))
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
	req := wire.Request{Text: text, Watch: w != nil, JSON: w == nil, As: c.As}
	f, err := c.do(ctx, req, w)
	if err == nil && f.Error != "" {
		err = errors.New("serve refused the request: " + printable.String(f.Error))
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

// do sends one request and reads the answer up to its final frame,
// passing progress reports to w.
func (c *Client) do(ctx context.Context, req wire.Request, w ops.Watcher) (Frame, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return Frame{}, fmt.Errorf("%w on %s: %w", wire.ErrNoServe, c.Path, err)
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
		return Frame{}, fmt.Errorf("%w (%v)", wire.ErrStopped, err)
	}
	return Frame{}, wire.ErrStopped
}
