// Package supervisor is poolvisor's backend for supervisord: an XML-RPC
// client for its API and the operations built on it.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kolo/xmlrpc"
)

// DefaultTimeout bounds a call when NewClient is given no timeout.
const DefaultTimeout = 5 * time.Second

// Client calls supervisord's XML-RPC API. Each call is one HTTP POST bounded
// by its context and the client's timeout, so one failed call never affects
// the next. A Client is safe for concurrent use.
//
// kolo/xmlrpc is used only to encode and decode: its net/rpc based client
// has no context support and stops working after one decoding error.
type Client struct {
	url      string // as configured, without credentials
	endpoint string // the URL POSTed to
	username string
	password string
	timeout  time.Duration
	http     *http.Client
	observe  func(method, kind string) // told of every call, for metrics
	// changing is told before and after every call that may change what
	// getAllProcessInfo answers (any but the known reads): the backend's
	// live state is not current across it.
	changing func()
}

// readMethods are the calls that change nothing in supervisord.
var readMethods = map[string]bool{
	"supervisor.getAllProcessInfo": true, "supervisor.getProcessInfo": true,
	"supervisor.getAllConfigInfo": true, "supervisor.getState": true,
	"supervisor.getSupervisorVersion": true, "supervisor.getIdentification": true,
	"supervisor.getPID": true, "supervisor.getAPIVersion": true, "supervisor.readLog": true,
	"supervisor.readProcessStdoutLog": true, "supervisor.readProcessStderrLog": true,
	"supervisor.tailProcessStdoutLog": true, "supervisor.tailProcessStderrLog": true,
	"system.listMethods": true, "system.methodHelp": true, "system.methodSignature": true,
}

// Observe makes the client call fn after every call with the method and
// how it ended: "" on success, else "fault", "unreachable", "timeout" or
// "decode".
// Set it before the client is shared.
func (c *Client) Observe(fn func(method, kind string)) { c.observe = fn }

func errorKind(err error) string {
	var f *Fault
	var u *UnreachableError
	var te *TimeoutError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &f):
		return "fault"
	case errors.As(err, &u):
		return "unreachable"
	case errors.As(err, &te):
		return "timeout"
	}
	return "decode"
}

// NewClient returns a client for supervisord at rawURL: "unix:///abs/x.sock"
// or "http(s)://host:port[/RPC2]" (/RPC2 is added when the path is empty).
// Basic auth is sent when username is not empty; credentials in an HTTP URL
// are used when username is empty. timeout bounds each call unless its
// context ends earlier; 0 means DefaultTimeout.
func NewClient(rawURL, username, password string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse supervisord URL: %w", err)
	}
	if timeout < 0 {
		return nil, fmt.Errorf("supervisord timeout %s is negative", timeout)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	c := &Client{username: username, password: password, timeout: timeout}
	switch u.Scheme {
	case "unix":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("supervisord URL %q: want unix:///absolute/path.sock", rawURL)
		}
		c.url = rawURL
		// The host only shows in the Host header; supervisord ignores it.
		c.endpoint = "http://supervisord/RPC2"
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("supervisord URL %q has no host", rawURL)
		}
		if u.User != nil {
			if c.username == "" {
				c.username = u.User.Username()
				c.password, _ = u.User.Password()
			}
			u.User = nil
		}
		c.url = u.String()
		if u.Path == "" || u.Path == "/" {
			u.Path = "/RPC2"
		}
		c.endpoint = u.String()
	default:
		return nil, fmt.Errorf("supervisord URL %q: scheme must be unix, http or https", rawURL)
	}
	c.http = newHTTPClient(u)
	return c, nil
}

// URL returns the URL the client was configured with, without credentials.
func (c *Client) URL() string { return c.url }

// Call calls method with args and decodes the result into reply (a pointer,
// or nil to discard it). Errors are a *Fault when supervisord refused the
// call, a *TimeoutError when it took the call but did not answer in time,
// an *UnreachableError when no usable answer came otherwise, and else a
// plain error (encoding, decoding into reply, or ctx cancelled by the
// caller).
func (c *Client) Call(ctx context.Context, method string, reply any, args ...any) error {
	return c.call(ctx, c.timeout, "", method, reply, args...)
}

// call is Call with the time supervisord is given to answer, and what the
// call does in words for a *TimeoutError ("" for the method's name).
func (c *Client) call(ctx context.Context, limit time.Duration, doing, method string, reply any, args ...any) (err error) {
	if c.observe != nil {
		defer func() { c.observe(method, errorKind(err)) }()
	}
	if c.changing != nil && !readMethods[method] {
		c.changing()
		defer c.changing()
	}
	body, err := xmlrpc.EncodeMethodCall(method, args...)
	if err != nil {
		return fmt.Errorf("encode %s call: %w", method, err)
	}
	start := time.Now()
	callCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	data, err := c.post(callCtx, body)
	if err != nil {
		// A caller giving up is not the daemon's fault; a deadline is.
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("%s: %w", method, ctx.Err())
		}
		var te *TimeoutError
		if errors.As(err, &te) {
			if doing == "" {
				doing = "answering " + method
			}
			te.Doing, te.After = doing, time.Since(start).Round(100*time.Millisecond)
		}
		return err
	}
	if procs, ok := reply.(*[]ProcessInfo); ok {
		if list, err := decodeProcessInfos(data); err == nil {
			*procs = list
			return nil
		}
	}
	resp := xmlrpc.Response(data)
	if err := resp.Err(); err != nil {
		var fe xmlrpc.FaultError
		if errors.As(err, &fe) {
			return &Fault{Code: fe.Code, Name: FaultName(fe.Code), Text: fe.String}
		}
		return fmt.Errorf("decode %s fault: %w", method, err)
	}
	if reply == nil {
		return nil
	}
	if err := resp.Unmarshal(reply); err != nil {
		return fmt.Errorf("decode %s reply into %T: %w", method, reply, err)
	}
	return nil
}
