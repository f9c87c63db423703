package ops

import (
	"errors"
	"fmt"
)

// Status is how an operation ended; exactly one per request (SPEC §2).
type Status string

// The statuses of SPEC §2.
const (
	StatusOK       Status = "ok"
	StatusFailed   Status = "failed"
	StatusInvalid  Status = "invalid"
	StatusDenied   Status = "denied"
	StatusPending  Status = "pending_approval"
	StatusConflict Status = "conflict"
)

// ExitCode returns the exit code of `poolvisor exec` for s.
func (s Status) ExitCode() int {
	switch s {
	case StatusOK:
		return 0
	case StatusFailed:
		return 1
	case StatusInvalid:
		return 2
	case StatusDenied:
		return 3
	case StatusPending:
		return 4
	case StatusConflict:
		return 5
	}
	return 1
}

// Result is what a request produces, whatever the surface. Body is its text
// as typed pieces (prose, process tables, where the diffs go, a section per
// host) that renderers draw from; Message is the complete plain text composed
// from Body and Diffs in one place (Text), which the shell prints as is; Data
// is the structured form of SPEC §2 that --json prints.
type Result struct {
	Status     Status `json:"status"`
	Operation  string `json:"operation"`
	Message    string `json:"message"`
	ApprovalID string `json:"approval_id,omitempty"`
	Data       any    `json:"data"`
	Body       Body   `json:"body,omitzero"`
	// Diffs show what a write changed, or would change (plans, approvals).
	Diffs []Diff `json:"diffs,omitempty"`
	// Field is the flag (or form field) an invalid request's error
	// concerns, if one: forms show the error there.
	Field string `json:"field,omitempty"`
	// Private is for one person alone, like a generated password: never
	// in Message or Data, the audit trail, a log or what a channel sees.
	Private *Private `json:"-"`
	// Attachment, when set, is Message as a document (an audit export), or
	// the whole answer whose summary Message is (a fleet answer across many
	// hosts, Attachment.Summarised): a chat platform sends a summarised
	// one as a file with the message always, and any other where Message
	// would be cut to fit in one message; the shell prints it.
	Attachment *Attachment `json:"-"`

	write int64 // the journal's id of the write, for its outcome entry
	// breakglass is the break-glass session the request was allowed by.
	breakglass string
}

// Private is text for one person alone: the requester of the operation,
// who may not be the person who approved it. Surfaces show it to To
// privately (an ephemeral message), or not at all.
type Private struct {
	To   Actor
	Text string
}

// For returns the private text when it is for actor, else "".
func (p *Private) For(actor Actor) string {
	if p == nil || !p.To.Same(actor) {
		return ""
	}
	return p.Text
}

// Attachment is a document: a name for its file, its media type, and its
// bytes. What it holds is as masked as any Message.
type Attachment struct {
	Name        string
	ContentType string
	Content     []byte
	// Summarised says that the result's text only summarises the document
	// (the problem hosts of an answer from a thousand): without the file
	// the reader would miss what the text leaves out, so chat platforms
	// send it with the text, however short. Without it, the document is
	// the text itself in a file's form (an audit export), worth sending
	// only where the text would be cut.
	Summarised bool
}

// Summary returns a document that the result's text summarises
// (Attachment.Summarised).
func Summary(name, contentType string, content []byte) *Attachment {
	return &Attachment{Name: name, ContentType: contentType, Content: content, Summarised: true}
}

// Outcome is what a handler returns on success.
type Outcome struct {
	Message string
	// Body, when it has parts or hosts, is the text as typed pieces, and
	// Message is left empty.
	Body Body
	Data any
	// Changes are the files the apply wrote, for the history and the diffs.
	Changes []FileChange
	// Private is text for the requester alone (Result.Private).
	Private string
	// Attachment is Message as a document (Result.Attachment).
	Attachment *Attachment
}

// Error is an error whose message is safe to show to the user. Its Status says
// how the request ended; the wrapped Err, if any, is internal detail for the log.
type Error struct {
	Status Status
	Msg    string
	Err    error
	Data   any // optional structured data for the result, like the states a failed start left
	// Body, when it has parts or hosts, is what the user sees as typed
	// pieces (a process table, a section per host); Msg is then its summary.
	Body Body
	// Changes are files a failed apply did write and leave in place (a
	// program whose file is applied but whose process will not start).
	Changes []FileChange
	// Field is the flag (the form field) the error concerns, if one.
	Field string
	// Attachment is the whole answer as a document, when Body shows a
	// summary of it (an answer across many hosts): Result.Attachment.
	Attachment *Attachment
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Invalidf returns a user-facing error for bad input.
func Invalidf(format string, args ...any) error {
	return &Error{Status: StatusInvalid, Msg: fmt.Sprintf(format, args...)}
}

// InvalidField returns a user-facing error for bad input that concerns
// field: a flag, or the name a form adds (catalog.Target), so a form can
// show it on that field.
func InvalidField(field, format string, args ...any) error {
	return &Error{Status: StatusInvalid, Msg: fmt.Sprintf(format, args...), Field: field}
}

// WithField gives the *Error in err the field it concerns, when it names
// none yet, and returns err: for a check that knows which flag gave the
// value it refuses. It changes that *Error, which must be err's own.
func WithField(err error, field string) error {
	var e *Error
	if errors.As(err, &e) && e.Field == "" {
		e.Field = field
	}
	return err
}

// FieldOf returns the flag err concerns, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Failedf returns a user-facing error for an attempt that failed.
func Failedf(format string, args ...any) error {
	return &Error{Status: StatusFailed, Msg: fmt.Sprintf(format, args...)}
}

// Conflictf returns a user-facing error for a request overtaken by events.
func Conflictf(format string, args ...any) error {
	return &Error{Status: StatusConflict, Msg: fmt.Sprintf(format, args...)}
}

// Deniedf returns a user-facing error for a missing permission.
func Deniedf(format string, args ...any) error {
	return &Error{Status: StatusDenied, Msg: fmt.Sprintf(format, args...)}
}

// Fail wraps an internal error with a message that is safe to show.
func Fail(err error, format string, args ...any) error {
	return &Error{Status: StatusFailed, Msg: fmt.Sprintf(format, args...), Err: err}
}

// UserError splits err into the status and the text a user may see. Errors
// that are not *Error are internal: the user gets a generic message.
func UserError(err error) (Status, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Status, e.Msg
	}
	return StatusFailed, "internal error (details are in poolvisor's log)"
}
