package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// Reasons a request fails verification, besides chat.ErrStale and
// chat.ErrBadSignature. Each is answered 401 and nothing is applied.
// Discord probes the endpoint with bad signatures and removes an endpoint
// that accepts them.
var (
	errNoSignature  = errors.New("missing X-Signature-Ed25519 or X-Signature-Timestamp")
	errBadTimestamp = errors.New("X-Signature-Timestamp is not a Unix time")
)

// ParsePublicKey decodes the application's public key (64 hex digits).
func ParsePublicKey(hexKey string) (ed25519.PublicKey, error) {
	raw, err := hex.DecodeString(hexKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord public key: want %d hexadecimal bytes", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// verify checks Discord's request signature: the hex Ed25519 signature of
// timestamp + raw body under the application's public key. The timestamp
// must also be within chat.MaxClockSkew of now, so that a captured request
// cannot be replayed later.
// https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
func verify(h http.Header, body []byte, key ed25519.PublicKey, now time.Time) error {
	sigHex, tsText := h.Get("X-Signature-Ed25519"), h.Get("X-Signature-Timestamp")
	if sigHex == "" || tsText == "" || len(key) != ed25519.PublicKeySize {
		return errNoSignature
	}
	if err := chat.CheckTimestamp(tsText, now, chat.MaxClockSkew, errBadTimestamp); err != nil {
		return err
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return chat.ErrBadSignature
	}
	msg := make([]byte, 0, len(tsText)+len(body))
	msg = append(append(msg, tsText...), body...)
	if !ed25519.Verify(key, msg, sig) {
		return chat.ErrBadSignature
	}
	return nil
}
