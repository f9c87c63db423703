package chat

import (
	"errors"
	"strconv"
	"time"
)

// MaxBodyBytes bounds the body of a request a platform sends (a command,
// an interaction); every platform's are a few kilobytes.
const MaxBodyBytes = 1 << 20

// MaxClockSkew is how far a signed request's timestamp may be from now:
// Slack's documented replay window, which poolvisor holds Discord's
// Ed25519-signed requests to as well.
// https://docs.slack.dev/authentication/verifying-requests-from-slack
const MaxClockSkew = 5 * time.Minute

// Reasons a signed request fails verification on every platform. Each is
// answered 401 and nothing is applied.
var (
	ErrStale        = errors.New("request timestamp is more than 5 minutes away")
	ErrBadSignature = errors.New("signature does not match")
)

// CheckTimestamp reads a signed request's timestamp (Unix seconds) and
// refuses, with ErrStale, one more than skew from now, so that a captured
// request cannot be replayed later. Text that is not a Unix time is
// refused with notUnix, the platform's own error naming its header.
func CheckTimestamp(text string, now time.Time, skew time.Duration, notUnix error) error {
	ts, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return notUnix
	}
	if d := now.Sub(time.Unix(ts, 0)); d > skew || d < -skew {
		return ErrStale
	}
	return nil
}
