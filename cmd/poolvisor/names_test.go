package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

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
	return []string{"web", "queue:*", "a b", "$(touch x)", "`id`", "x\x1b]0;t\x07", "tab\there", "", "café-2"}, nil
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
