package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// SocketName is the bot's event socket inside its data directory.
const SocketName = "events.sock"

// Forwarder sends events to the bot's socket. It never blocks the listener:
// when the bot is not there, events are dropped (the bot reconciles with
// supervisord when it starts, so nothing is lost for long).
type Forwarder struct {
	path string
	mu   sync.Mutex
	conn net.Conn
}

// NewForwarder returns a Forwarder to the socket at path.
func NewForwarder(path string) *Forwarder { return &Forwarder{path: path} }

// Send writes e as one JSON line, connecting (again) when needed.
func (f *Forwarder) Send(e Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		if f.conn == nil {
			c, err := net.DialTimeout("unix", f.path, time.Second)
			if err != nil {
				return fmt.Errorf("connect to %s: %w", f.path, err)
			}
			f.conn = c
		}
		f.conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err = f.conn.Write(append(line, '\n')); err == nil {
			return nil
		}
		f.conn.Close()
		f.conn = nil
	}
	return fmt.Errorf("send event to %s: %w", f.path, err)
}

// Close closes the connection.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return nil
	}
	err := f.conn.Close()
	f.conn = nil
	return err
}

// Serve accepts listener connections on the unix socket at path and calls
// handle for every event, until ctx ends. Only the socket's owner may
// connect (mode 0600): an event moves what the bot believes about programs.
func Serve(ctx context.Context, path string, log *slog.Logger, handle func(Event)) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				os.Remove(path)
				return nil
			}
			return fmt.Errorf("accept on %s: %w", path, err)
		}
		go read(ctx, conn, log, handle)
	}
}

func read(ctx context.Context, conn net.Conn, log *slog.Logger, handle func(Event)) {
	defer conn.Close()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), maxPayload)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			log.Warn("bad event line", "err", err)
			continue
		}
		handle(e)
	}
}
