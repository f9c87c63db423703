package socket

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Server runs the requests of socket clients through the pipeline.
type Server struct {
	Runner shell.Runner
	Log    *slog.Logger
}

// Serve accepts connections on ln until ctx ends, then closes ln and waits
// for the requests in flight: they go on for a grace period, then are
// cancelled. It returns when the last has ended.
func (s *Server) Serve(ctx context.Context, ln *Listener) error {
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()
		ln.Close()
		select {
		case <-time.After(grace):
			cancelRuns()
		case <-stopped:
		}
	}()
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		close(stopped)
	}()
	slots := make(chan struct{}, maxConns)
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return err
		}
		select {
		case slots <- struct{}{}:
		default:
			s.Log.Warn("local socket: too many connections, one refused", "max", maxConns)
			c.SetWriteDeadline(time.Now().Add(writeTimeout))
			json.NewEncoder(c).Encode(Frame{Error: "poolvisor serve is busy: too many local connections; try again"})
			c.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			defer c.Close()
			s.handle(runCtx, c)
		})
	}
}

// Refuser is a Runner that can record a request refused before it runs
// (ops.Pipeline.Refuse), so a refused --as is in the audit.
type Refuser interface {
	Refuse(ctx context.Context, actor ops.Actor, text string, status ops.Status, msg string) ops.Result
}

// handle answers the one request of c.
func (s *Server) handle(ctx context.Context, c *net.UnixConn) {
	cred, err := peerCred(c)
	if err != nil {
		s.Log.Error("local socket: who is connecting", "err", err)
		writeFrame(c, nil, Frame{Error: "serve could not identify this process"})
		return
	}
	actor := Actor(cred)
	req, err := readRequest(c)
	if err != nil {
		s.Log.Warn("local socket: bad request, connection closed", "actor", actor.String(), "err", err)
		writeFrame(c, nil, Frame{Error: "bad request: " + err.Error()})
		return
	}
	var mu sync.Mutex // the watcher may report while the result is written
	reply := Frame{Host: s.Runner.Host(), Actor: &actor}
	switch {
	case req.As != "":
		s.Log.Warn("local socket: --as refused", "actor", actor.String(), "as", req.As)
		msg := "--as is refused on the socket: serve knows you as " + actor.String() +
			" from the kernel (use --direct with a config that allows impersonation)"
		res := ops.Result{Status: ops.StatusDenied, Data: map[string]any{}, Message: msg}
		if r, ok := s.Runner.(Refuser); ok { // an attempt to act as someone else is audited
			res = r.Refuse(ctx, actor, req.Text, ops.StatusDenied, msg+"; asked --as "+req.As)
			res.Message = msg
		}
		if req.Rendered && !req.JSON {
			out := shell.RenderFor(res, actor)
			reply.Output, reply.Exit = &out, res.Status.ExitCode()
			break
		}
		doc := shell.Document(res, actor)
		reply.Result = &doc
	case req.Hello:
	default:
		if req.Watch && !req.JSON {
			ctx = ops.WithWatcher(ctx, func(p ops.Progress) {
				if err := writeFrame(c, &mu, Frame{Progress: &p}); err != nil {
					s.Log.Debug("local socket: progress not delivered", "actor", actor.String(), "err", err)
				}
			})
		}
		res := s.Runner.Run(ctx, actor, req.Text)
		if req.Rendered && !req.JSON {
			out := shell.RenderFor(res, actor)
			reply.Output, reply.Exit = &out, res.Status.ExitCode()
			break
		}
		doc := shell.Document(res, actor)
		reply.Result = &doc
		if !req.JSON {
			reply.Document = res.Attachment
		}
	}
	if err := writeFrame(c, &mu, reply); err != nil {
		s.Log.Warn("local socket: answer not delivered", "actor", actor.String(), "err", err)
	}
}

// readRequest reads one request, bounded in size and time.
func readRequest(c *net.UnixConn) (Request, error) {
	var req Request
	if err := c.SetReadDeadline(time.Now().Add(ReadTimeout)); err != nil {
		return req, err
	}
	dec := json.NewDecoder(io.LimitReader(c, MaxRequest))
	if err := dec.Decode(&req); err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return req, errors.New("not sent in time")
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return req, errors.New("incomplete, or larger than 64 KiB")
		}
		return req, errors.New("not a JSON request")
	}
	return req, c.SetReadDeadline(time.Time{})
}

// writeFrame writes f as one line, bounded in time.
func writeFrame(c *net.UnixConn, mu *sync.Mutex, f Frame) error {
	if mu != nil {
		mu.Lock()
		defer mu.Unlock()
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = c.Write(append(b, '\n'))
	return err
}
