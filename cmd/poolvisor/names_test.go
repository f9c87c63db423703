package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/socket"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// lister names, for any list, what a hand-written config may hold.
type lister struct{}

func (lister) Host() string { return "h" }
func (lister) Run(context.Context, ops.Actor, string) ops.Result {
	return ops.Result{Status: ops.StatusOK, Data: map[string]any{}}
}
func (lister) Names(context.Context, ops.Actor, string) ([]string, error) {
	return []string{"web", "queue:*", "a b", "$(touch x)", "`id`", "x\x1b]0;t\x07", "tab\there", "", "café-2", "--host", "@program"}, nil
}

// TestNamesAreWords: `poolvisor __names` prints only the names that are
// one word of the shell's and hold nothing a terminal acts on.
func TestNamesAreWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, err := socket.Listen(path, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&socket.Server{Runner: lister{}, Log: slog.New(slog.DiscardHandler)}).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	var out strings.Builder
	if code := names([]string{"--socket", path, "program"}, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got, want := out.String(), "web\nqueue:*\ncafé-2\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	out.Reset()
	if code := names([]string{"--socket", filepath.Join(t.TempDir(), "none.sock"), "program"}, &out); code != 0 || out.Len() != 0 {
		t.Errorf("no serve: exit %d, printed %q", code, out.String())
	}
	if code := names(nil, &out); code != 2 {
		t.Errorf("no list: exit %d", code)
	}
}

// TestJSONInterrupted: `exec --json` interrupted before serve answers
// still prints one JSON object, a failed one, and exits 130.
func TestJSONInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hang.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // held open, never answered
		}
	}()
	cmd := exec.Command(alone, "exec", "--json", "--socket", path, "--", "supervisor", "status")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(settle):
		cmd.Process.Kill()
		t.Fatal("the client never connected")
	}
	// The handler is installed before the client connects.
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	var doc struct{ Status, Message string }
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	if err := dec.Decode(&doc); err != nil || dec.More() || doc.Status != "failed" || !strings.Contains(doc.Message, "interrupted") {
		t.Errorf("printed %q (%v)", stdout.String(), err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
}
