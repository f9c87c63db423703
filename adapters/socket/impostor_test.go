package socket

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// impostor listens where exec looks for serve (a $POOLVISOR_SOCKET or
// --socket someone else chose, or a serve taken over) and answers every
// request with frames.
func impostor(t *testing.T, frames ...Frame) string {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "fake.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			var req Request
			json.NewDecoder(c).Decode(&req)
			enc := json.NewEncoder(c)
			for _, f := range frames {
				enc.Encode(f)
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestImpostorIsPrintedHarmlessly: what exec prints of an answer is text,
// never a terminal's escape sequence, and its exit code is one of SPEC
// §2's, whatever the socket sends.
func TestImpostorIsPrintedHarmlessly(t *testing.T) {
	const evil = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[1A\x1b[2K\r"
	out := func(s string) *string { return &s }
	step := &ops.Progress{RunID: evil, Title: evil, Steps: []ops.Step{{Name: evil, State: ops.StepRunning}}}
	for _, c := range []struct {
		name   string
		frames []Frame
		code   int
	}{
		{"escapes in the answer", []Frame{{Progress: step}, {Output: out("[failed] no" + evil + "ok"), Exit: 1}}, 1},
		{"escapes in a refusal", []Frame{{Error: "no" + evil}}, 1},
		{"an exit code that wraps to 0", []Frame{{Output: out("[failed] no"), Exit: 256}}, 1},
		{"a negative exit code", []Frame{{Output: out("[failed] no"), Exit: -255}}, 1},
		{"an exit code of no status", []Frame{{Output: out("[failed] no"), Exit: 77}}, 1},
		{"a status's own code", []Frame{{Output: out("[pending_approval] a1"), Exit: 4}}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			var printed strings.Builder
			code, _, err := Exec(context.Background(), impostor(t, c.frames...), "", "supervisor status", &printed)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if s := printed.String() + msg; strings.ContainsAny(s, "\x1b\r\a") {
				t.Errorf("printed %q, error %q", printed.String(), msg)
			}
		})
	}

	// Dial's hello and Run's answers: the errors a terminal may show.
	if _, err := Dial(context.Background(), impostor(t, Frame{Error: "x" + evil})); err == nil || strings.ContainsAny(err.Error(), "\x1b\r\a") {
		t.Errorf("hello: %q", err)
	}
	c := &Client{Path: impostor(t, Frame{Error: "x" + evil})}
	if res := c.Run(context.Background(), ops.Actor{}, "x"); strings.ContainsAny(res.Message, "\x1b\r\a") {
		t.Errorf("run: %q", res.Message)
	}
}
