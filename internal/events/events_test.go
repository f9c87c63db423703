package events

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestListenSpeaksTheProtocol(t *testing.T) {
	payload := "processname:queue_01 groupname:queue from_state:RUNNING expected:0 pid:4242"
	in := fmt.Sprintf("ver:3.0 server:supervisor serial:21 pool:poolvisor-events poolserial:10 eventname:PROCESS_STATE_EXITED len:%d\n%s", len(payload), payload)
	var out bytes.Buffer
	var got []Event
	if err := Listen(context.Background(), strings.NewReader(in), &out, func(e Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if out.String() != "READY\nRESULT 2\nOKREADY\n" {
		t.Errorf("protocol output %q", out.String())
	}
	if len(got) != 1 {
		t.Fatalf("events %v", got)
	}
	e := got[0]
	if e.State() != "EXITED" || e.Group != "queue" || e.Process != "queue_01" || e.PID != 4242 || e.Serial != 21 || e.PoolSerial != 10 || e.Fields["expected"] != "0" {
		t.Errorf("event %+v", e)
	}
}

func TestListenRefusesABadHeader(t *testing.T) {
	var out bytes.Buffer
	err := Listen(context.Background(), strings.NewReader("eventname:X len:999999999\n"), &out, func(Event) {})
	if err == nil {
		t.Error("an absurd length was accepted")
	}
}

func TestForwarderToServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), SocketName)
	got := make(chan Event, 1)
	go Serve(ctx, path, slog.New(slog.DiscardHandler), Handler{Event: func(e Event) { got <- e }})

	fw := NewForwarder(path)
	defer fw.Close()
	deadline := time.Now().Add(time.Minute) // reached only on failure
	for fw.Send(Event{Name: "PROCESS_STATE_FATAL", Group: "web", Process: "web"}) != nil {
		if time.Now().After(deadline) {
			t.Fatal("could not reach the socket")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case e := <-got:
		if e.State() != "FATAL" || e.Group != "web" {
			t.Errorf("received %+v", e)
		}
	case <-time.After(time.Minute):
		t.Fatal("nothing received")
	}
}

// TestServeTellsConnectionsAndLostEvents: the bot learns when a listener
// connects and goes (Keep reconnects to a restarted serve), and when a
// connection's pool serials skip one.
func TestServeTellsConnectionsAndLostEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), SocketName)
	conns := make(chan bool, 8)
	lost := make(chan string, 8)
	got := make(chan Event, 8)
	h := Handler{
		Event: func(e Event) { got <- e },
		Conn:  func(open bool) { conns <- open },
		Lost:  func(why string) { lost <- why },
	}
	serve := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Serve(ctx, path, slog.New(slog.DiscardHandler), h) }()
		return func() { cancel(); <-done }
	}
	next := func(what string, ch chan bool) bool {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-time.After(time.Minute): // reached only on failure
			t.Fatalf("no %s", what)
		}
		return false
	}

	stop := serve()
	fw := NewForwarder(path)
	kctx, kcancel := context.WithCancel(context.Background())
	kept := make(chan struct{})
	go func() { fw.Keep(kctx); close(kept) }()
	defer func() { kcancel(); <-kept; fw.Close() }()
	if !next("connection", conns) {
		t.Fatal("first report is a close")
	}
	for _, serial := range []int64{7, 8, 10} {
		if err := fw.Send(Event{Name: "PROCESS_STATE_RUNNING", Group: "w", Process: "w", PoolSerial: serial}); err != nil {
			t.Fatal(err)
		}
		<-got
	}
	select {
	case why := <-lost:
		if !strings.Contains(why, "10 followed 8") {
			t.Errorf("lost: %q", why)
		}
	default:
		t.Error("a skipped pool serial was not reported")
	}
	if len(lost) != 0 {
		t.Errorf("more reported lost than the one gap: %d", len(lost))
	}

	stop() // serve restarts: the connection ends, Keep makes a new one
	if next("close", conns) {
		t.Fatal("a stopped serve reported an open connection")
	}
	stop = serve()
	defer stop()
	if !next("reconnection", conns) {
		t.Fatal("no reconnection to the new serve")
	}
}
