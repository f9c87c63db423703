// Package wire is the protocol of serve's local socket, and the client
// that `poolvisor exec` and `status` run through it, with nothing but the
// standard library: the thin client links it, and every package it links
// costs start-up time (their inits, the pages they touch), which a status
// through the socket spends mostly on starting.
//
// The protocol is one request per connection: the client writes one JSON
// Request; the server answers with JSON lines, a frame each, progress
// reports of a long write first, then one final frame with the answer
// (or an error when the request was not run). A connection that ends
// without a final frame means serve stopped while the command ran.
// adapters/socket serves it, and is the client of a console, which reads
// results rather than text.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/printable"
)

// Request is what a client sends, once per connection.
type Request struct {
	// Text is the command, as typed after `poolvisor exec --`.
	Text string `json:"text,omitempty"`
	// Words is the command as the shell split exec's arguments, instead
	// of Text: serve quotes each as one word of the grammar
	// (`--command "php artisan queue:work"` stays one value).
	Words []string `json:"words,omitempty"`
	// JSON says the client prints the result as one JSON object: no
	// progress reports then, whatever Watch says.
	JSON bool `json:"json,omitempty"`
	// Watch asks for progress reports of a long write.
	Watch bool `json:"watch,omitempty"`
	// As is --as, which the socket refuses: the kernel names the client.
	As string `json:"as,omitempty"`
	// Hello asks only who the client is and on which host: the final
	// frame carries Host and Actor and no result.
	Hello bool `json:"hello,omitempty"`
	// Rendered asks for the answer as the text exec prints (the JSON
	// object, with JSON) and its exit code, progress as the lines exec
	// prints (Answer): nothing to decode or render on the client, which
	// starts afresh for each command.
	Rendered bool `json:"rendered,omitempty"`
	// Names asks for the names of one kind (NamesKinds) that the client
	// may see, for shell completion: the final frame carries Names.
	Names string `json:"names,omitempty"`
}

// NamesKinds are the kinds a Names request may ask for: the catalog's
// live lists (catalog.PoolList, catalog.ProgramList), which a test in
// adapters/socket keeps them equal to.
var NamesKinds = []string{"pool", "program"}

// Answer is what a client of rendered answers reads of a frame: a
// progress line, or the end of the answer.
type Answer struct {
	// Line is a progress report of a Rendered request, as exec prints it.
	Line *string `json:"line,omitempty"`
	// Output and Exit end the answer of a Rendered request: what exec
	// prints (with the requester's private text) and its exit code.
	Output *string `json:"output,omitempty"`
	Exit   int     `json:"exit,omitempty"`
	// Who is who serve says the client is, in a Rendered answer: its
	// actor, as `local:<user>`.
	Who string `json:"who,omitempty"`
	// Names ends the answer of a Names request.
	Names []string `json:"names,omitempty"`
	// Error ends the answer of a request that was not run.
	Error string `json:"error,omitempty"`
}

// Final reports whether a ends the answer of a Rendered request.
func (a Answer) Final() bool { return a.Line == nil }

// MaxExit is the highest exit code of SPEC §2's statuses (conflict's);
// adapters/socket's tests keep it equal to internal/ops'. An exit code
// serve sends beyond it is no status's, and a failure.
const MaxExit = 5

// exitFailed is the failed status's exit code.
const exitFailed = 1

// Limits: MaxRequest bounds one request (serve cuts off a client that
// sends more), MaxAnswer what a client reads of one answer, and
// NamesTimeout how long completion waits for names: a TAB press must not
// hang the shell on a serve that does not answer.
const (
	MaxRequest   = 64 << 10
	MaxAnswer    = 64 << 20
	NamesTimeout = 2 * time.Second
)

var (
	// ErrNoServe says nothing answers on the socket: no request was
	// sent, so working directly instead is safe.
	ErrNoServe = errors.New("no serve answers")
	// ErrStopped says the connection ended before the answer did: serve
	// stopped (or crashed) while the command ran.
	ErrStopped = errors.New("serve stopped before answering: the command may or may not have run (see `ops audit` once serve is back)")
)

// Exec runs req through serve at path as `poolvisor exec` does, in one
// connection, serve rendering the answer: it prints progress lines and
// then the answer to out, and returns the exit code and who serve said
// the client is. An error wrapping ErrNoServe means the request was never
// sent; any other means it may have run. With req.JSON, out gets one JSON
// object whatever happens.
//
// What answers on the socket is trusted with neither the terminal nor the
// exit status: its text is printed as text (printable), its JSON only as
// JSON, and an exit code that is no status's (256 would reach the shell
// as 0) is a failure.
func Exec(path string, req Request, out io.Writer) (code int, who string, err error) {
	req.Rendered, req.Names = true, ""
	progress := func(line string) { fmt.Fprintln(out, printable.String(line)) }
	if req.JSON { // one object, no lines before it
		progress = nil
	}
	a, err := roundTrip(path, req, progress)
	if err == nil && a.Error != "" {
		err = errors.New("serve refused the request: " + printable.String(a.Error))
	}
	if err == nil && a.Output == nil {
		err = errors.New("serve sent no answer")
	}
	if err == nil && (a.Exit < 0 || a.Exit > MaxExit) {
		err = fmt.Errorf("serve sent exit code %d, which no status has", a.Exit)
	}
	text := ""
	if err == nil {
		text = *a.Output
	}
	if err == nil && req.JSON {
		if text, err = printable.JSON(text); err == nil && !strings.HasPrefix(strings.TrimLeft(text, " \t\r\n"), "{") {
			err = errors.New("not a JSON object")
		}
		if err != nil {
			err = fmt.Errorf("serve's answer: %w", err)
		}
	} else if err == nil {
		text = printable.String(text)
	}
	switch {
	case err == nil:
		_, err = fmt.Fprintln(out, text)
	case req.JSON && !errors.Is(err, ErrNoServe):
		fmt.Fprintln(out, failedJSON(err.Error()))
	}
	if err != nil {
		return exitFailed, printable.String(a.Who), err
	}
	return a.Exit, printable.String(a.Who), nil
}

// Names asks serve at path for the names of kind that the client may see,
// waiting at most NamesTimeout.
func Names(path, kind string) ([]string, error) {
	a, err := roundTripWithin(path, Request{Names: kind}, nil, NamesTimeout)
	if err == nil && a.Error != "" {
		err = errors.New("serve refused the request: " + printable.String(a.Error))
	}
	return a.Names, err
}

// failedJSON is the JSON object of a failed result with message, as `exec
// --json` prints it (shell.FailedJSON, which a test keeps it equal to).
func failedJSON(message string) string {
	b, _ := json.Marshal(struct {
		Status    string   `json:"status"`
		Operation string   `json:"operation"`
		Message   string   `json:"message"`
		Data      struct{} `json:"data"`
	}{Status: "failed", Message: message})
	doc, _ := printable.JSON(string(b))
	return doc
}

// FailedJSON is failedJSON, for the thin client's failures before any
// request (poolvisord could not be run).
func FailedJSON(message string) string { return failedJSON(message) }

// roundTrip sends req and reads the answer up to its final frame, passing
// progress lines to progress. It waits as long as the command runs (a
// rolling restart may take minutes).
func roundTrip(path string, req Request, progress func(string)) (Answer, error) {
	return roundTripWithin(path, req, progress, 0)
}

// roundTripWithin is roundTrip, giving up on an answer not read within
// limit (0: no limit).
func roundTripWithin(path string, req Request, progress func(string), limit time.Duration) (Answer, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return Answer{}, err
	}
	c, err := dial(path) // first: with no serve, exec works directly, whatever the size
	if err != nil {
		return Answer{}, err
	}
	defer c.close()
	if len(b) > MaxRequest {
		return Answer{}, fmt.Errorf("the request is %d bytes, more than serve takes (%d KiB): nothing was sent", len(b), MaxRequest>>10)
	}
	if limit > 0 {
		tv := syscall.NsecToTimeval(limit.Nanoseconds())
		if err := syscall.SetsockoptTimeval(int(c), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
			return Answer{}, err
		}
	}
	if err := c.writeAll(b); err != nil {
		return Answer{}, fmt.Errorf("send to serve: %w", err)
	}
	r := &io.LimitedReader{R: c, N: MaxAnswer}
	dec := json.NewDecoder(r)
	for {
		var a Answer
		if err := dec.Decode(&a); err != nil {
			switch {
			case r.N <= 0:
				return Answer{}, fmt.Errorf("serve's answer is larger than %d MiB: the command may or may not have run", MaxAnswer>>20)
			case errors.Is(err, syscall.EAGAIN):
				return Answer{}, fmt.Errorf("serve did not answer within %v", limit)
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
				return Answer{}, ErrStopped
			}
			return Answer{}, fmt.Errorf("serve's answer: %w", err)
		}
		if a.Final() {
			return a, nil
		}
		if progress != nil {
			progress(*a.Line)
		}
	}
}

// conn is a connection to serve: a unix socket read and written with
// plain system calls. The net package would start its poller and run
// its inits; one request and its answer need neither.
type conn int

// dial connects to the socket at path. It does not wait: a serve whose
// backlog is full (EAGAIN), which a blocking connect would wait on for
// ever, is busy, and said so; it is not "no serve", after which exec
// would work directly, beside a serve that is running.
func dial(path string) (conn, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, fmt.Errorf("%w on %s: %w", ErrNoServe, path, err)
	}
	err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
	if err == nil {
		err = syscall.SetNonblock(fd, false)
	}
	if err != nil {
		syscall.Close(fd)
		if errors.Is(err, syscall.EAGAIN) {
			return -1, fmt.Errorf("serve on %s is busy (its queue of connections is full): nothing was sent; try again", path)
		}
		return -1, fmt.Errorf("%w on %s: %w", ErrNoServe, path, err)
	}
	return conn(fd), nil
}

func (c conn) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(c), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c conn) writeAll(b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(int(c), b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (c conn) close() { syscall.Close(int(c)) }
