package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// SocketName is the bot's event socket inside its data directory.
const SocketName = "events.sock"

// redialEvery is how often a Forwarder tries to reach a bot that is not
// there (serve not started yet, or restarting).
const redialEvery = time.Second

// Forwarder sends events to the bot's socket. It never blocks the listener:
// when the bot is not there, events are dropped. The bot knows: it trusts
// its live state only while a listener is connected, and reconciles with
// supervisord whenever one connects, so nothing dropped is missed.
type Forwarder struct {
	path string
	mu   sync.Mutex
	conn net.Conn
}

// NewForwarder returns a Forwarder to the socket at path.
func NewForwarder(path string) *Forwarder { return &Forwarder{path: path} }

// Keep holds a connection to the bot open until ctx ends, connecting again
// when the bot closes it (a restarted serve): a serve that starts while
// supervisord is quiet learns at once that a listener is there, instead of
// at the next event.
func (f *Forwarder) Keep(ctx context.Context) {
	t := time.NewTicker(redialEvery)
	defer t.Stop()
	for ctx.Err() == nil {
		if c := f.connected(); c != nil {
			// The bot never writes: a read ends when it closes.
			stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
			io.Copy(io.Discard, c)
			stop()
			f.drop(c)
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// connected returns the connection, dialling when there is none; nil when
// the bot does not answer.
func (f *Forwarder) connected() net.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		c, err := net.DialTimeout("unix", f.path, time.Second)
		if err != nil {
			return nil
		}
		f.conn = c
	}
	return f.conn
}

// drop closes c if it is still the connection.
func (f *Forwarder) drop(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Close()
	if f.conn == c {
		f.conn = nil
	}
}

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

// Handler is what Serve tells the bot.
type Handler struct {
	// Event is called for each event, in the order of its connection.
	Event func(Event)
	// Conn is called when a listener connects (true) and when its
	// connection ends (false). Events sent while none was connected were
	// dropped.
	Conn func(open bool)
	// Lost is called when a connection's events skip a pool serial:
	// supervisord discarded events in between.
	Lost func(why string)
}

// Serve accepts listener connections on the unix socket at path and calls
// h for every event, until ctx ends. Only the socket's owner may connect
// (mode 0600): an event moves what the bot believes about programs.
func Serve(ctx context.Context, path string, log *slog.Logger, h Handler) error {
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
		go read(ctx, conn, log, h)
	}
}

func read(ctx context.Context, conn net.Conn, log *slog.Logger, h Handler) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if h.Conn != nil {
		h.Conn(true)
		defer h.Conn(false)
	}
	var last int64 // the pool serial of the connection's last event
	seen := false
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), maxPayload)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			log.Warn("bad event line", "err", err)
			if h.Lost != nil {
				h.Lost("an event line could not be read")
			}
			continue
		}
		if seen && e.PoolSerial != last+1 && h.Lost != nil {
			h.Lost(fmt.Sprintf("pool serial %d followed %d", e.PoolSerial, last))
		}
		last, seen = e.PoolSerial, true
		if h.Event != nil {
			h.Event(e)
		}
	}
}
