package supervisor

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestFaultName(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{FaultUnknownMethod, "UNKNOWN_METHOD"},
		{FaultIncorrectParameters, "INCORRECT_PARAMETERS"},
		{FaultBadArguments, "BAD_ARGUMENTS"},
		{FaultSignatureUnsupported, "SIGNATURE_UNSUPPORTED"},
		{FaultShutdownState, "SHUTDOWN_STATE"},
		{FaultBadName, "BAD_NAME"},
		{FaultBadSignal, "BAD_SIGNAL"},
		{FaultNoFile, "NO_FILE"},
		{FaultNotExecutable, "NOT_EXECUTABLE"},
		{FaultFailed, "FAILED"},
		{FaultAbnormalTermination, "ABNORMAL_TERMINATION"},
		{FaultSpawnError, "SPAWN_ERROR"},
		{FaultAlreadyStarted, "ALREADY_STARTED"},
		{FaultNotRunning, "NOT_RUNNING"},
		{FaultSuccess, "SUCCESS"},
		{FaultAlreadyAdded, "ALREADY_ADDED"},
		{FaultStillRunning, "STILL_RUNNING"},
		{FaultCantReread, "CANT_REREAD"},
		{12345, "UNKNOWN"},
	}
	for _, tt := range tests {
		if got := FaultName(tt.code); got != tt.want {
			t.Errorf("FaultName(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestIsFault(t *testing.T) {
	badName := &Fault{Code: FaultBadName, Name: "BAD_NAME", Text: "BAD_NAME: web"}
	tests := []struct {
		name string
		err  error
		code int
		want bool
	}{
		{"same code", badName, FaultBadName, true},
		{"wrapped", fmt.Errorf("restart web: %w", badName), FaultBadName, true},
		{"other code", badName, FaultNotRunning, false},
		{"not a fault", errors.New("BAD_NAME: web"), FaultBadName, false},
		{"unreachable", &UnreachableError{URL: "unix:///x", Err: errors.New("refused")}, FaultBadName, false},
		{"nil", nil, FaultBadName, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsFault(tt.err, tt.code); got != tt.want {
				t.Errorf("IsFault(%v, %d) = %v, want %v", tt.err, tt.code, got, tt.want)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	cause := &HTTPStatusError{StatusCode: 401, Status: "401 Unauthorized"}
	tests := []struct {
		err  error
		want string
	}{
		{&Fault{Code: 10, Name: "BAD_NAME", Text: "BAD_NAME: web"}, "supervisord fault 10: BAD_NAME: web"},
		{&UnreachableError{URL: "http://h:9001", Err: cause}, "supervisord at http://h:9001 is unreachable: unexpected HTTP status 401 Unauthorized"},
		{&TimeoutError{URL: "unix:///s.sock", Doing: "stopping group web (up to 10s each)", After: 15 * time.Second, Err: context.DeadlineExceeded},
			"supervisord at unix:///s.sock did not answer within 15s while stopping group web (up to 10s each)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	var he *HTTPStatusError
	if !errors.As(tests[1].err, &he) || he.StatusCode != 401 {
		t.Error("UnreachableError does not unwrap to its cause")
	}
}
