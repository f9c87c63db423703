package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

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

// TestJSONHoldsNoTerminalControls: --json escapes what encoding/json
// leaves raw (DEL, C1, bidi marks), so `jq -r .message` prints them as
// harmlessly as the text form does; the value is unchanged.
func TestJSONHoldsNoTerminalControls(t *testing.T) {
	const evil = "ok\x7f\u009b2K\u202eliaf"
	var out bytes.Buffer
	if code := Exec(context.Background(), echo{}, ops.Actor{Platform: "local", ID: "root"}, evil, true, &out); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if strings.ContainsAny(out.String(), "\x7f\u009b\u202e") {
		t.Fatalf("printed %q", out.String())
	}
	var doc struct{ Message, Private string }
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Message != evil || doc.Private != evil {
		t.Fatalf("decoded %+v (%v) from %q", doc, err, out.String())
	}
}
