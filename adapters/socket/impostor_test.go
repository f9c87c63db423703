package socket

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/socket/wire"
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
			var req wire.Request
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
	const evil = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07\x1b[1A\x1b[2K\r\u009b2K\u202e\x7f"
	out := func(s string) *string { return &s }
	ans := func(a wire.Answer) Frame { return Frame{Answer: a} }
	for _, c := range []struct {
		name   string
		frames []Frame
		code   int
	}{
		{"escapes in the answer", []Frame{ans(wire.Answer{Line: out(evil)}), ans(wire.Answer{Output: out("[failed] no" + evil + "ok"), Exit: 1, Who: evil})}, 1},
		{"escapes in a refusal", []Frame{ans(wire.Answer{Error: "no" + evil})}, 1},
		{"an exit code that wraps to 0", []Frame{ans(wire.Answer{Output: out("[failed] no"), Exit: 256})}, 1},
		{"a negative exit code", []Frame{ans(wire.Answer{Output: out("[failed] no"), Exit: -255})}, 1},
		{"an exit code of no status", []Frame{ans(wire.Answer{Output: out("[failed] no"), Exit: 77})}, 1},
		{"a status's own code", []Frame{ans(wire.Answer{Output: out(`{"status":"pending_approval"}`), Exit: 4})}, 4},
		{"not JSON for --json", []Frame{ans(wire.Answer{Output: out(evil), Exit: 0})}, 0},
		{"a refusal with an answer beside it", []Frame{ans(wire.Answer{Error: "no", Output: out(`{"status":"ok"}`), Exit: 0})}, 1},
	} {
		for _, asJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, json %v", c.name, asJSON), func(t *testing.T) {
				var printed strings.Builder
				code, who, err := wire.Exec(impostor(t, c.frames...), wire.Request{Text: "supervisor status", JSON: asJSON, Watch: true}, &printed)
				want := c.code
				if asJSON && c.code != 4 {
					want = 1 // the answer is no JSON
				}
				if code != want {
					t.Errorf("exit %d, want %d", code, want)
				}
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				if s := printed.String() + msg + who; strings.ContainsAny(s, "\x1b\r\a\u009b\u202e\x7f") {
					t.Errorf("printed %q, error %q, who %q", printed.String(), msg, who)
				}
				if strings.Contains(c.name, "refusal") && strings.Contains(printed.String(), `"status":"ok"`) {
					t.Errorf("a refused request printed the answer beside it as success: %q", printed.String())
				}
				if asJSON && !json.Valid([]byte(printed.String())) {
					t.Errorf("--json printed %q", printed.String())
				}
			})
		}
	}

	// Dial's hello and Run's answers: the errors a terminal may show.
	if _, err := Dial(context.Background(), impostor(t, Frame{Answer: wire.Answer{Error: "x" + evil}})); err == nil || strings.ContainsAny(err.Error(), "\x1b\r\a\u009b\u202e\x7f") {
		t.Errorf("hello: %q", err)
	}
	c := &Client{Path: impostor(t, Frame{Answer: wire.Answer{Error: "x" + evil}})}
	if res := c.Run(context.Background(), ops.Actor{}, "x"); strings.ContainsAny(res.Message, "\x1b\r\a\u009b\u202e\x7f") {
		t.Errorf("run: %q", res.Message)
	}
}
