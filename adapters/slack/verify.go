package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// Reasons a request fails verification, besides chat.ErrStale and
// chat.ErrBadSignature. Each is answered 401 and nothing is applied.
var (
	errNoSignature  = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errBadTimestamp = errors.New("X-Slack-Request-Timestamp is not a Unix time")
)

// verify checks Slack's v0 request signature: "v0=" and the hex
// HMAC-SHA256, under the signing secret, of "v0:<timestamp>:<raw body>",
// compared in constant time; the timestamp must be within chat.MaxClockSkew of
// now. slack-go's SecretsVerifier does the same but reads the clock itself,
// which a test of the published example (signed in 2018) cannot move.
// https://docs.slack.dev/authentication/verifying-requests-from-slack
func verify(h http.Header, body []byte, secret string, now time.Time) error {
	sig, tsText := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || tsText == "" || secret == "" {
		return errNoSignature
	}
	if err := chat.CheckTimestamp(tsText, now, chat.MaxClockSkew, errBadTimestamp); err != nil {
		return err
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return chat.ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return chat.ErrBadSignature
	}
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:", tsText)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return chat.ErrBadSignature
	}
	return nil
}
