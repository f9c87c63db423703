package socket

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/socket/wire"
	"github.com/poolvisor/poolvisor/internal/command"
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
			json.NewEncoder(c).Encode(errorFrame("poolvisor serve is busy: too many local connections; try again"))
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

// Namer is a Runner that can name what actor may see of a kind
// (wire.NamesKinds), for shell completion: nothing when actor may not
// list that kind.
type Namer interface {
	Names(ctx context.Context, actor ops.Actor, kind string) ([]string, error)
}

// handle answers the one request of c.
func (s *Server) handle(ctx context.Context, c *net.UnixConn) {
	cred, err := peerCred(c)
	if err != nil {
		s.Log.Error("local socket: who is connecting", "err", err)
		writeFrame(c, nil, errorFrame("serve could not identify this process"))
		return
	}
	actor := Actor(cred)
	req, err := readRequest(c)
	if err != nil {
		s.Log.Warn("local socket: bad request, connection closed", "actor", actor.String(), "err", err)
		writeFrame(c, nil, errorFrame("bad request: "+err.Error()))
		return
	}
	var mu sync.Mutex // the watcher may report while the result is written
	reply := Frame{Host: s.Runner.Host(), Actor: &actor}
	reply.Who = actor.String()
	switch {
	case req.Hello:
	case req.Names != "" && req.As != "":
		reply.Error = "--as is refused on the socket: serve knows you as " + actor.String() + " from the kernel"
	case req.Names != "":
		reply.Names, reply.Error = s.names(ctx, actor, req.Names)
	default:
		text, err := requestText(req)
		if err != nil {
			reply.Error = err.Error()
			break
		}
		if req.Watch && !req.JSON {
			ctx = ops.WithWatcher(ctx, func(p ops.Progress) {
				f := Frame{Progress: &p}
				if req.Rendered {
					line, ok := shell.ProgressLine(p)
					if !ok {
						return
					}
					f = Frame{Answer: wire.Answer{Line: &line}}
				}
				if err := writeFrame(c, &mu, f); err != nil {
					s.Log.Debug("local socket: progress not delivered", "actor", actor.String(), "err", err)
				}
			})
		}
		var res ops.Result
		if req.As != "" {
			res = s.refuseAs(ctx, actor, text, req.As)
		} else {
			res = s.Runner.Run(ctx, actor, text)
		}
		s.answer(&reply, req, res, actor)
	}
	if err := writeFrame(c, &mu, reply); err != nil {
		s.Log.Warn("local socket: answer not delivered", "actor", actor.String(), "err", err)
	}
}

// requestText is the command of req: its text, or its words quoted for
// the grammar.
func requestText(req wire.Request) (string, error) {
	if len(req.Words) == 0 {
		return req.Text, nil
	}
	if req.Text != "" {
		return "", errors.New("bad request: text and words both given")
	}
	return command.Join(req.Words), nil
}

// refuseAs answers a request with --as, which the socket refuses: the
// kernel names the client. The attempt to act as someone else is audited.
func (s *Server) refuseAs(ctx context.Context, actor ops.Actor, text, as string) ops.Result {
	s.Log.Warn("local socket: --as refused", "actor", actor.String(), "as", as)
	msg := "--as is refused on the socket: serve knows you as " + actor.String() +
		" from the kernel (use --direct with a config that allows impersonation)"
	res := ops.Result{Status: ops.StatusDenied, Data: map[string]any{}, Message: msg}
	if r, ok := s.Runner.(Refuser); ok {
		res = r.Refuse(ctx, actor, text, ops.StatusDenied, msg+"; asked --as "+as)
		res.Message = msg
	}
	return res
}

// answer puts res in reply as req asked: rendered (the text or JSON exec
// prints, and its exit code), or the result itself.
func (s *Server) answer(reply *Frame, req wire.Request, res ops.Result, actor ops.Actor) {
	if !req.Rendered {
		doc := shell.Document(res, actor)
		reply.Result = &doc
		if !req.JSON {
			reply.Document = res.Attachment
		}
		return
	}
	out, code := shell.RenderFor(res, actor), res.Status.ExitCode()
	if req.JSON {
		var err error
		if out, err = shell.JSONText(res, actor); err != nil {
			s.Log.Error("local socket: result not encoded", "actor", actor.String(), "err", err)
			out, code = shell.FailedJSON(res.Operation, "could not encode the result: "+err.Error()), ops.StatusFailed.ExitCode()
		}
	}
	reply.Output, reply.Exit = &out, code
}

// names answers a Names request.
func (s *Server) names(ctx context.Context, actor ops.Actor, kind string) ([]string, string) {
	if !slices.Contains(wire.NamesKinds, kind) {
		return nil, "no names of kind " + kind + ": ask for one of " + strings.Join(wire.NamesKinds, ", ")
	}
	n, ok := s.Runner.(Namer)
	if !ok {
		return nil, "this serve names nothing"
	}
	// The client waits NamesTimeout, as a TAB press should.
	ctx, cancel := context.WithTimeout(ctx, wire.NamesTimeout)
	defer cancel()
	names, err := n.Names(ctx, actor, kind)
	if err != nil {
		s.Log.Debug("local socket: names", "actor", actor.String(), "kind", kind, "err", err)
		return nil, err.Error()
	}
	return names, ""
}

// errorFrame is the final frame of a request that was not run.
func errorFrame(msg string) Frame { return Frame{Answer: wire.Answer{Error: msg}} }

// readRequest reads one request, bounded in size and time.
func readRequest(c *net.UnixConn) (wire.Request, error) {
	var req wire.Request
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
