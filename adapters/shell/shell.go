// Package shell is the local adapter: `poolvisor exec` runs one command and
// `poolvisor console` one command per line, both as a local user, both through
// the same pipeline as every chat surface. It is what the end-to-end tests drive.
package shell

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/user"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/printable"
)

// Runner is the part of the core pipeline this adapter uses.
type Runner interface {
	Run(ctx context.Context, actor ops.Actor, text string) ops.Result
	Host() string
}

// Actor returns the local actor: `local:<os user>`, or `local:<as>` when as is
// set, which only a config with local.allow_impersonation permits.
func Actor(as string, allowImpersonation bool) (ops.Actor, error) {
	if as != "" {
		if !allowImpersonation {
			return ops.Actor{}, fmt.Errorf("--as needs local.allow_impersonation: true in the config")
		}
		return ops.Actor{Platform: "local", ID: as, Name: as}, nil
	}
	u, err := user.Current()
	if err != nil {
		return ops.Actor{}, fmt.Errorf("who is running poolvisor: %w", err)
	}
	return ops.Actor{Platform: "local", ID: u.Username, Name: u.Username}, nil
}

// Exec runs text once and writes the result to out, as text or as one JSON
// object. It returns the exit code of SPEC §2.
func Exec(ctx context.Context, r Runner, actor ops.Actor, text string, asJSON bool, out io.Writer) int {
	if !asJSON { // JSON is one object: no lines before it
		ctx = ops.WithWatcher(ctx, ProgressLines(out))
	}
	res := r.Run(ctx, actor, text)
	if !asJSON {
		fmt.Fprintln(out, printable.String(RenderFor(res, actor)))
		return res.Status.ExitCode()
	}
	doc, err := JSONText(res, actor)
	if err != nil {
		doc = FailedJSON(res.Operation, "could not encode the result: "+err.Error())
		res.Status = ops.StatusFailed
	}
	fmt.Fprintln(out, doc)
	return res.Status.ExitCode()
}

// JSONText returns res as `exec --json` prints it to actor (Document), one
// line without its line feed, and with nothing in it a terminal would act
// on: printable.JSON escapes what encoding/json leaves raw (DEL, the C1
// set, bidirectional marks), for `jq -r` to print as harmlessly.
func JSONText(res ops.Result, actor ops.Actor) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Document(res, actor)); err != nil {
		return "", err
	}
	return printable.JSON(strings.TrimSuffix(b.String(), "\n"))
}

// FailedJSON is the JSON object of a failed result with message, as
// `exec --json` prints it where there is no result to encode.
func FailedJSON(operation, message string) string {
	doc, err := JSONText(ops.Result{Status: ops.StatusFailed, Operation: operation, Message: message, Data: map[string]any{}}, ops.Actor{})
	if err != nil { // a failed result of two strings always encodes
		panic(err)
	}
	return doc
}

// Doc is what `exec --json` prints: the result and, beside it, the text for
// the requester alone.
type Doc struct {
	ops.Result
	Private string `json:"private,omitempty"`
}

// Document returns res as `exec --json` prints it to actor. The terminal is
// the requester's own: text for them alone (a new XML-RPC password) is
// theirs to see, and only theirs.
func Document(res ops.Result, actor ops.Actor) Doc {
	return Doc{res, res.Private.For(actor)}
}

// Render returns a result as plain text: the message, marked with the status
// unless it is ok. The message is the result's body (its prose, tables and
// host sections) and diffs, composed by ops.Text: the shell prints exactly
// what `exec --json` carries as "message", or the result's document when
// the message summarises one (an answer across many hosts).
func Render(res ops.Result) string {
	msg := res.Message
	if res.Attachment != nil { // the whole answer, where Message summarises it for chat
		msg = string(res.Attachment.Content)
	}
	if res.Status == ops.StatusOK {
		return msg
	}
	return fmt.Sprintf("[%s] %s", res.Status, msg)
}

// ProgressLines prints a line each time a step of a long write (a batch
// of a rolling restart, a host of a roll) begins, with the run's ID for
// /ops cancel; the result follows when it ends.
func ProgressLines(out io.Writer) ops.Watcher {
	return func(p ops.Progress) {
		if line, ok := ProgressLine(p); ok {
			fmt.Fprintln(out, printable.String(line))
		}
	}
}

// ProgressLine returns the line exec prints for p, if any: one when a step
// begins, none when the run ends (the result follows then).
func ProgressLine(p ops.Progress) (string, bool) {
	if p.Finished || p.Count(ops.StepRunning) == 0 {
		return "", false
	}
	return p.Line(), true
}

// RenderFor is Render, followed by the text for actor alone, if any.
func RenderFor(res ops.Result, actor ops.Actor) string {
	if p := res.Private.For(actor); p != "" {
		return Render(res) + "\n" + p
	}
	return Render(res)
}

// Console reads one command per line from in until EOF, `exit` or `quit`,
// and returns the exit code of the last command.
func Console(ctx context.Context, r Runner, actor ops.Actor, in io.Reader, out io.Writer, interactive bool) int {
	// Through the socket, the host and the actor are serve's word.
	prompt := func() {
		if interactive {
			fmt.Fprint(out, printable.String(fmt.Sprintf("%s@%s> ", actor.ID, r.Host())))
		}
	}
	if interactive {
		fmt.Fprint(out, printable.String(fmt.Sprintf("poolvisor console on %s as %s.", r.Host(), actor)),
			" Type `help` for what you may run, `exit` to leave.\n")
	}
	code := 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prompt()
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "":
			prompt()
			continue
		case "exit", "quit":
			return code
		case "help", "?":
			line = "ops help"
		}
		if ctx.Err() != nil {
			return code
		}
		res := r.Run(ops.WithWatcher(ctx, ProgressLines(out)), actor, line)
		fmt.Fprintln(out, printable.String(RenderFor(res, actor)))
		code = res.Status.ExitCode()
		prompt()
	}
	if interactive {
		fmt.Fprintln(out)
	}
	return code
}
