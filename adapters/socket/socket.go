// Package socket is the local socket of `poolvisor serve`: exec and console
// send their command to the running bot instead of building one of their
// own, and are known by what the kernel says of the connecting process
// (SO_PEERCRED), never by what they claim. The protocol, and the client
// of rendered answers that the thin client runs, are package wire's; this
// package serves it, and is the client of a console, which reads results.
package socket

import (
	"time"

	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/socket/wire"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Limits of a request. A client that sends more, or takes longer, is cut
// off; others are not affected.
const (
	MaxRequest  = wire.MaxRequest // bytes of one request
	ReadTimeout = 5 * time.Second // to send the whole request
	// writeTimeout bounds writing one frame, so a client that stops
	// reading cannot hold up the write whose progress it watches.
	writeTimeout = 5 * time.Second
	// grace is how long runs in flight may go on once serve is stopping.
	grace = 10 * time.Second
	// maxConns bounds connections served at once.
	maxConns = 64
)

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
	// Answer holds the frame's parts that a Rendered request reads, its
	// error included.
	wire.Answer
}

// final reports whether f ends the answer.
func (f Frame) final() bool { return f.Progress == nil && f.Line == nil }
