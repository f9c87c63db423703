// Package socket is the local socket of `poolvisor serve`: exec and console
// send their command to the running bot instead of building one of their
// own, and are known by what the kernel says of the connecting process
// (SO_PEERCRED), never by what they claim.
//
// The protocol is one request per connection: the client writes one JSON
// Request; the server answers with JSON lines, a Frame each, progress
// reports of a long write first, then one final frame with the result
// (or an error when the request was not run). A connection that ends
// without a final frame means serve stopped while the command ran.
package socket

import (
	"time"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Limits of a request. A client that sends more, or takes longer, is cut
// off; others are not affected.
const (
	MaxRequest  = 64 << 10        // bytes of one request
	ReadTimeout = 5 * time.Second // to send the whole request
	// writeTimeout bounds writing one frame, so a client that stops
	// reading cannot hold up the write whose progress it watches.
	writeTimeout = 5 * time.Second
	// grace is how long runs in flight may go on once serve is stopping.
	grace = 10 * time.Second
	// maxConns bounds connections served at once.
	maxConns = 64
)

// Request is what a client sends, once per connection.
type Request struct {
	// Text is the command, as typed after `poolvisor exec --`.
	Text string `json:"text"`
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
	// Rendered asks for the answer as the text exec prints and its exit
	// code (Frame.Output, Frame.Exit) instead of the result: a tenth of
	// the bytes for a long status, and nothing to decode or render on
	// the client, which starts afresh for each command.
	Rendered bool `json:"rendered,omitempty"`
}

// Frame is one line of the answer.
type Frame struct {
	Progress *ops.Progress `json:"progress,omitempty"`
	// Result ends the answer: the result as `exec --json` prints it.
	Result *shell.Doc `json:"result,omitempty"`
	// Document is the result's document (ops.Result.Attachment), which
	// its JSON leaves out: the whole of an answer whose message
	// summarises it, which the shell prints. Only for a text answer.
	Document *ops.Attachment `json:"document,omitempty"`
	Host     string          `json:"host,omitempty"`
	Actor    *ops.Actor      `json:"actor,omitempty"`
	// Error ends the answer of a request that was not run.
	Error string `json:"error,omitempty"`
	// Output and Exit end the answer of a Rendered request: the text
	// exec prints (with the requester's private text) and its exit code.
	Output *string `json:"output,omitempty"`
	Exit   int     `json:"exit,omitempty"`
}

// final reports whether f ends the answer.
func (f Frame) final() bool { return f.Progress == nil }
