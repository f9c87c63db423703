package socket

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/socket/wire"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// runner answers every command with its text, reporting one step first.
type runner struct{}

func (runner) Host() string { return "h1" }

func (runner) Run(ctx context.Context, actor ops.Actor, text string) ops.Result {
	if text == "supervisor status --host all" {
		return fleettest.Result()
	}
	if w := ops.WatcherOf(ctx); w != nil {
		w(ops.Progress{RunID: "r1", Title: "step", Steps: []ops.Step{{Name: "batch 1", State: ops.StepRunning}}})
	}
	return ops.Result{Status: ops.StatusOK, Operation: "ops.echo", Message: text + " by " + actor.String(),
		Data: map[string]any{"n": 9007199254740993}, Private: &ops.Private{To: actor, Text: "secret"}}
}

// execText runs text through serve at path as exec does without --json.
func execText(path, as, text string, out io.Writer) (code int, who string, err error) {
	return wire.Exec(path, wire.Request{Text: text, As: as, Watch: true}, out)
}

// serve starts a Server of runner{} on a socket in a fresh directory and
// returns its path.
func serve(t *testing.T) string { return serveWith(t, runner{}) }

// serveWith is serve with r as the runner.
func serveWith(t *testing.T, r shell.Runner) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, err := Listen(path, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Runner: r, Log: slog.New(slog.DiscardHandler)}).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return path
}

func TestRoundTrip(t *testing.T) {
	c, err := Dial(context.Background(), serve(t))
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Current()
	if c.Actor.String() != "local:"+me.Username || c.Host() != "h1" {
		t.Fatalf("hello: %s on %q", c.Actor, c.Host())
	}
	var steps []string
	ctx := ops.WithWatcher(context.Background(), func(p ops.Progress) { steps = append(steps, p.Line()) })
	res := c.Run(ctx, c.Actor, "ops whoami")
	if res.Status != ops.StatusOK || res.Message != "ops whoami by "+c.Actor.String() {
		t.Errorf("result: %+v", res)
	}
	if len(steps) != 1 || !strings.Contains(steps[0], "[r1] step") {
		t.Errorf("progress: %q", steps)
	}
	if res.Private.For(c.Actor) != "secret" {
		t.Errorf("private: %+v", res.Private)
	}
	if n, ok := res.Data.(map[string]any)["n"].(interface{ String() string }); !ok || n.String() != "9007199254740993" {
		t.Errorf("a large number in data: %v", res.Data)
	}
}

func TestAsIsRefused(t *testing.T) {
	c, err := Dial(context.Background(), serve(t))
	if err != nil {
		t.Fatal(err)
	}
	c.As = "alice"
	if res := c.Run(context.Background(), c.Actor, "ops whoami"); res.Status != ops.StatusDenied {
		t.Errorf("--as: %s %s", res.Status, res.Message)
	}
}

// TestStoppedMidRequest: a connection closed before the result (serve
// died) is a failed result that says so.
func TestStoppedMidRequest(t *testing.T) {
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "dead.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err == nil {
			s.Read(make([]byte, 512)) // the request, then an answer cut short
			s.Write([]byte(`{"progress":{"run_id":"r1","steps":[]}}` + "\n"))
			s.Close()
		}
	}()
	dead := &Client{Path: ln.Addr().String()}
	res := dead.Run(context.Background(), ops.Actor{}, "x")
	if res.Status != ops.StatusFailed || !strings.Contains(res.Message, "serve stopped before answering") {
		t.Errorf("cut off: %s %s", res.Status, res.Message)
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	t.Run("stale socket is replaced", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		old.SetUnlinkOnClose(false)
		old.Close() // the file stays, as a crashed serve leaves it
		ln, err := Listen(path, "")
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o660 {
			t.Errorf("socket: %v %v", fi, err)
		}
		ln.Close()
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the socket is left after Close: %v", err)
		}
	})
	t.Run("live socket is refused", func(t *testing.T) {
		path := filepath.Join(dir, "live.sock")
		ln, err := Listen(path, "")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if _, err := Listen(path, ""); !errors.Is(err, ErrInUse) {
			t.Errorf("second Listen: %v", err)
		}
	})
	t.Run("a file that is not a socket is refused", func(t *testing.T) {
		path := filepath.Join(dir, "file")
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Listen(path, ""); err == nil || !strings.Contains(err.Error(), "not a socket") {
			t.Errorf("Listen on a file: %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "x" {
			t.Errorf("the file was changed")
		}
	})
	t.Run("a missing directory", func(t *testing.T) {
		if _, err := Listen(filepath.Join(dir, "none", "p.sock"), ""); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Listen in a missing directory: %v", err)
		}
	})
}

func TestBadRequests(t *testing.T) {
	path := serve(t)
	for name, send := range map[string]string{
		"garbage":   "GET / HTTP/1.0\r\n\r\n",
		"too large": `{"text": "` + strings.Repeat("a", MaxRequest) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte(send))
			c.SetReadDeadline(time.Now().Add(time.Minute))
			b, _ := io.ReadAll(c)
			if !strings.Contains(string(b), `"error":"bad request`) {
				t.Errorf("answer: %s", b)
			}
		})
	}
}

// TestExecRendered: exec's one-connection path prints the progress line,
// then the answer as serve rendered it (with the private text, which is
// the requester's), and returns the result's exit code.
func TestExecRendered(t *testing.T) {
	path := serve(t)
	var out strings.Builder
	code, who, err := execText(path, "", "ops whoami", &out)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Current()
	if who != "local:"+me.Username || code != ops.StatusOK.ExitCode() {
		t.Errorf("actor %s, exit %d", who, code)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{"ops whoami by local:" + me.Username, "secret"}
	if len(lines) != 3 || !strings.Contains(lines[0], "[r1] step") || !slices.Equal(lines[1:], want) {
		t.Errorf("printed %q", out.String())
	}

	out.Reset()
	code, _, err = execText(path, "alice", "ops whoami", &out)
	if err != nil || code != ops.StatusDenied.ExitCode() || !strings.Contains(out.String(), "--as is refused") {
		t.Errorf("--as: exit %d, err %v, printed %q", code, err, out.String())
	}
}

// TestExecNoServe: nothing on the path is wire.ErrNoServe (exec then works
// directly); a serve that stops mid-answer is not.
func TestExecNoServe(t *testing.T) {
	var out strings.Builder
	_, _, err := execText(filepath.Join(t.TempDir(), "none.sock"), "", "ops whoami", &out)
	if !errors.Is(err, wire.ErrNoServe) || out.Len() != 0 {
		t.Errorf("no socket: %v, printed %q", err, out.String())
	}
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "dead.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if s, err := ln.Accept(); err == nil {
			s.Read(make([]byte, 512))
			s.Close()
		}
	}()
	_, _, err = execText(ln.Addr().String(), "", "ops whoami", &out)
	if err == nil || errors.Is(err, wire.ErrNoServe) || !errors.Is(err, wire.ErrStopped) {
		t.Errorf("serve stopped: %v", err)
	}
}

// An answer that summarises a document (a fleet answer across many
// hosts) reaches exec through the socket with its document, so exec
// prints every host, as it does without serve; --json prints the result
// alone either way.
func TestSummarisedAnswerKeepsItsDocument(t *testing.T) {
	c, err := Dial(context.Background(), serve(t))
	if err != nil {
		t.Fatal(err)
	}
	text := ops.WithWatcher(context.Background(), func(ops.Progress) {})
	res := c.Run(text, c.Actor, "supervisor status --host all")
	if res.Attachment == nil || !res.Attachment.Summarised || string(res.Attachment.Content) != fleettest.Whole() {
		t.Fatalf("the document did not come through: %+v", res.Attachment)
	}
	if out := shell.Render(res); !strings.Contains(out, fleettest.Host(398)) || !strings.Contains(out, fleettest.Host(999)) {
		t.Errorf("exec does not print every host:\n%.500s", out)
	}
	if res := c.Run(context.Background(), c.Actor, "supervisor status --host all"); res.Attachment != nil {
		t.Error("a --json answer carried the document")
	}
}

// TestExecRenderedKeepsTheDocument: serve renders a summarised answer
// (a fleet answer) with its whole document, as exec prints it directly.
func TestExecRenderedKeepsTheDocument(t *testing.T) {
	var out strings.Builder
	code, _, err := execText(serve(t), "", "supervisor status --host all", &out)
	if err != nil {
		t.Fatal(err)
	}
	if want := shell.Render(fleettest.Result()) + "\n"; out.String() != want || code != fleettest.Result().Status.ExitCode() {
		t.Errorf("exit %d, printed\n%.500s\nwant\n%.500s", code, out.String(), want)
	}
	if !strings.Contains(out.String(), fleettest.Host(999)) {
		t.Errorf("not every host printed:\n%.500s", out.String())
	}
}

// TestWireKeepsOpsFacts: what package wire keeps of internal/ops and
// adapters/shell, not to import them, is what they say.
func TestWireKeepsOpsFacts(t *testing.T) {
	highest := 0
	for _, s := range []ops.Status{ops.StatusOK, ops.StatusFailed, ops.StatusInvalid, ops.StatusDenied, ops.StatusPending, ops.StatusConflict} {
		highest = max(highest, s.ExitCode())
	}
	if wire.MaxExit != highest {
		t.Errorf("wire.MaxExit %d, the highest status exit code is %d", wire.MaxExit, highest)
	}
	if lists := []string{catalog.PoolList, catalog.ProgramList}; !slices.Equal(wire.NamesKinds, lists) {
		t.Errorf("wire.NamesKinds %q, the catalog's lists are %q", wire.NamesKinds, lists)
	}
	const msg = "run /usr/sbin/poolvisord: permission denied \x7f"
	if got, want := wire.FailedJSON(msg), shell.FailedJSON("", msg); got != want {
		t.Errorf("wire.FailedJSON = %s, shell says %s", got, want)
	}
}

// TestExecWords: words as the shell split them reach the grammar one word
// each, quoted by serve; text and words together are refused.
func TestExecWords(t *testing.T) {
	path := serve(t)
	var out strings.Builder
	code, _, err := wire.Exec(path, wire.Request{Words: []string{"supervisor", "add", "w", "--command", "php artisan queue:work", "--user", "a\u00a0b"}}, &out)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, err %v", code, err)
	}
	if want := `supervisor add w --command 'php artisan queue:work' --user 'a` + "\u00a0" + `b' by local:`; !strings.HasPrefix(out.String(), want) {
		t.Errorf("printed %q, want it to start with %q", out.String(), want)
	}
	out.Reset()
	code, _, err = wire.Exec(path, wire.Request{Text: "ops whoami", Words: []string{"ops", "whoami"}}, &out)
	if err == nil || code != 1 || !strings.Contains(err.Error(), "text and words") {
		t.Errorf("both: exit %d, err %v, printed %q", code, err, out.String())
	}
}

// TestExecJSON: --json through the socket is one JSON object, serve's
// rendering of the result, with the private text and no progress lines.
func TestExecJSON(t *testing.T) {
	var out strings.Builder
	code, _, err := wire.Exec(serve(t), wire.Request{Text: "ops whoami", JSON: true, Watch: true}, &out)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, err %v", code, err)
	}
	var doc struct {
		Status, Operation, Private string
		Data                       map[string]json.Number
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("not one JSON object (%v): %q", err, out.String())
	}
	if doc.Status != "ok" || doc.Operation != "ops.echo" || doc.Private != "secret" || doc.Data["n"] != "9007199254740993" {
		t.Errorf("decoded %+v from %q", doc, out.String())
	}
}

// namer is runner that names programs for local actors alone.
type namer struct{ runner }

func (namer) Names(_ context.Context, actor ops.Actor, kind string) ([]string, error) {
	if actor.Platform != "local" {
		return nil, errors.New("denied")
	}
	return []string{kind + "-a", kind + "-b"}, nil
}

// TestNames: a names request is answered by the runner's Namer, for the
// kinds of wire.NamesKinds alone.
func TestNames(t *testing.T) {
	path := serveWith(t, namer{})
	got, err := wire.Names(path, "program")
	if err != nil || !slices.Equal(got, []string{"program-a", "program-b"}) {
		t.Errorf("programs: %q, %v", got, err)
	}
	if got, err := wire.Names(path, "secret"); err == nil || got != nil {
		t.Errorf("a kind of no names: %q, %v", got, err)
	}
	if got, err := wire.Names(serve(t), "pool"); err == nil || got != nil {
		t.Errorf("a serve that names nothing: %q, %v", got, err)
	}
}

// TestNamesWaitBounded: a serve that never answers costs a TAB press
// wire.NamesTimeout, not the shell.
func TestNamesWaitBounded(t *testing.T) {
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "hang.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hold := make(chan struct{})
	defer close(hold)
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 4096))
			<-hold // never answers
		}
	}()
	if names, err := wire.Names(ln.Addr().String(), "program"); err == nil || names != nil || !strings.Contains(err.Error(), "did not answer within") {
		t.Fatalf("names %q, err %v", names, err)
	}
}

// TestRequestTooLarge: a command longer than serve takes is refused by
// the client, before anything is sent, in words serve would use.
func TestRequestTooLarge(t *testing.T) {
	var out strings.Builder
	code, _, err := wire.Exec(serve(t), wire.Request{Words: []string{"ops", "whoami", strings.Repeat("a", wire.MaxRequest)}}, &out)
	if code != 1 || err == nil || !strings.Contains(err.Error(), "nothing was sent") || out.Len() != 0 {
		t.Errorf("exit %d, err %v, printed %q", code, err, out.String())
	}
	// With no serve, exec works directly, where the grammar says what is
	// wrong with so long a command: the size is serve's limit alone.
	big := wire.Request{Words: []string{"ops", "whoami", strings.Repeat("a", wire.MaxRequest)}}
	if _, _, err := wire.Exec(filepath.Join(t.TempDir(), "none.sock"), big, &out); !errors.Is(err, wire.ErrNoServe) {
		t.Errorf("no serve: %v, want ErrNoServe", err)
	}
}
