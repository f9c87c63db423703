package shell

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain text and tables", "name  state\nweb   RUNNING\tpid 1 ✓", "name  state\nweb   RUNNING\tpid 1 ✓"},
		{"OSC 52 sets the clipboard", "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07", `\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07`},
		{"CSI redraws a line", "[failed] x\x1b[2K\rok", `[failed] x\x1b[2K\x0dok`},
		{"backspace and DEL", "a\bb\x7f", `a\x08b\x7f`},
		{"C1 CSI as a character", "a\u009b31mb", `a\x9b31mb`},
		{"a byte that is not UTF-8", "a\x9bb", "a\ufffdb"},
		{"U+FFFD itself is kept", "a\ufffdb", "a\ufffdb"},
		{"bidi override", "ok \u202eliaf", `ok \u202eliaf`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Printable(c.in); got != c.want {
				t.Fatalf("Printable(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// echo answers with text as its message, and a step in progress titled
// with it.
type echo struct{}

func (echo) Host() string { return "h\x1b]0;x\x07" }
func (echo) Run(ctx context.Context, actor ops.Actor, text string) ops.Result {
	if w := ops.WatcherOf(ctx); w != nil {
		w(ops.Progress{RunID: "r1", Title: text, Steps: []ops.Step{{Name: text, State: ops.StepRunning}}})
	}
	return ops.Result{Status: ops.StatusFailed, Message: text, Private: &ops.Private{To: actor, Text: text}}
}

// TestNoEscapesReachTheTerminal: exec and console, direct or through the
// socket, print no control character that a result carries.
func TestNoEscapesReachTheTerminal(t *testing.T) {
	const evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2K\r"
	actor := ops.Actor{Platform: "local", ID: "root\x1b[8m", Name: "root"}
	var out bytes.Buffer
	if code := Exec(context.Background(), echo{}, actor, "x", false, &out); code != 1 {
		t.Fatalf("exit %d", code)
	}
	Exec(context.Background(), echo{}, actor, evil, false, &out)
	Console(context.Background(), echo{}, actor, strings.NewReader(evil+"\n"), &out, true)
	if s := out.String(); strings.ContainsAny(s, "\x1b\r\a") || !strings.Contains(s, `\x1b]52`) {
		t.Fatalf("printed %q", s)
	}
}
