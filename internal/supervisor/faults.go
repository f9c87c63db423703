package supervisor

import (
	"errors"
	"fmt"
	"time"
)

// Fault codes of supervisord's XML-RPC interface (supervisor/xmlrpc.py,
// class Faults; https://supervisord.org/api.html). FaultSuccess also appears
// as the Status of a ProcessResult.
const (
	FaultUnknownMethod        = 1
	FaultIncorrectParameters  = 2
	FaultBadArguments         = 3
	FaultSignatureUnsupported = 4
	FaultShutdownState        = 6
	FaultBadName              = 10
	FaultBadSignal            = 11
	FaultNoFile               = 20
	FaultNotExecutable        = 21
	FaultFailed               = 30
	FaultAbnormalTermination  = 40
	FaultSpawnError           = 50
	FaultAlreadyStarted       = 60
	FaultNotRunning           = 70
	FaultSuccess              = 80
	FaultAlreadyAdded         = 90
	FaultStillRunning         = 91
	FaultCantReread           = 92
)

// FaultName returns supervisord's name for a fault code, or "UNKNOWN" as
// supervisord itself says for a code it does not know.
func FaultName(code int) string {
	switch code {
	case FaultUnknownMethod:
		return "UNKNOWN_METHOD"
	case FaultIncorrectParameters:
		return "INCORRECT_PARAMETERS"
	case FaultBadArguments:
		return "BAD_ARGUMENTS"
	case FaultSignatureUnsupported:
		return "SIGNATURE_UNSUPPORTED"
	case FaultShutdownState:
		return "SHUTDOWN_STATE"
	case FaultBadName:
		return "BAD_NAME"
	case FaultBadSignal:
		return "BAD_SIGNAL"
	case FaultNoFile:
		return "NO_FILE"
	case FaultNotExecutable:
		return "NOT_EXECUTABLE"
	case FaultFailed:
		return "FAILED"
	case FaultAbnormalTermination:
		return "ABNORMAL_TERMINATION"
	case FaultSpawnError:
		return "SPAWN_ERROR"
	case FaultAlreadyStarted:
		return "ALREADY_STARTED"
	case FaultNotRunning:
		return "NOT_RUNNING"
	case FaultSuccess:
		return "SUCCESS"
	case FaultAlreadyAdded:
		return "ALREADY_ADDED"
	case FaultStillRunning:
		return "STILL_RUNNING"
	case FaultCantReread:
		return "CANT_REREAD"
	}
	return "UNKNOWN"
}

// Fault is an XML-RPC fault answered by supervisord: it understood the call
// and refused it.
type Fault struct {
	Code int
	Name string // e.g. BAD_NAME, from Code
	Text string // supervisord's faultString, e.g. "BAD_NAME: web"
}

func (f *Fault) Error() string {
	return fmt.Sprintf("supervisord fault %d: %s", f.Code, f.Text)
}

// IsFault reports whether err is, or wraps, a Fault with the given code.
func IsFault(err error, code int) bool {
	var f *Fault
	return errors.As(err, &f) && f.Code == code
}

// UnreachableError means no usable answer came from supervisord: it could not
// be reached, refused the connection, timed out before taking the call, died
// mid-request or answered something that is not XML-RPC. Retrying later may
// help; the call may or may not have taken effect.
type UnreachableError struct {
	URL string // as configured, without credentials
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("supervisord at %s is unreachable: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// TimeoutError means supervisord took a call but did not answer it in the
// time the call was given: it is there, but busy, hung, or slower than
// expected at what it was asked to do. The call may still take effect.
type TimeoutError struct {
	URL   string        // as configured, without credentials
	Doing string        // what the call does, e.g. "stopping group web"
	After time.Duration // how long the answer was waited for
	Err   error         // context.DeadlineExceeded
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("supervisord at %s did not answer within %s while %s", e.URL, e.After, e.Doing)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// HTTPStatusError is the Err of an UnreachableError when supervisord (or
// whatever listens at its URL) answered with an HTTP status other than 200:
// 401 for wrong credentials, 500 when supervisord failed internally.
type HTTPStatusError struct {
	StatusCode int
	Status     string // e.g. "401 Unauthorized"
}

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("unexpected HTTP status %s", e.Status)
}
