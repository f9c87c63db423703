package fleet

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// LoadPrivateKey reads a hub key written by `poolvisor keygen`: the hex
// Ed25519 seed on one line.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleet.hub_key_file: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("fleet.hub_key_file %s: not a key written by poolvisor keygen (64 hexadecimal characters)", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads the hub's public key as configured on agents.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("fleet.hub_public_key: must be 64 hexadecimal characters, as poolvisor keygen prints")
	}
	return ed25519.PublicKey(raw), nil
}

// Limits of what an agent accepts, against replays and clock trouble.
const (
	// clockSkew is how far ahead of the agent's clock a request may claim
	// to have been sent.
	clockSkew = 30 * time.Second
	// maxLifetime bounds a request's deadline, so that the replay cache
	// (which remembers IDs until their deadline) stays bounded.
	maxLifetime = 10 * time.Minute
)

// verifier checks requests on an agent and remembers the IDs it has seen
// until their deadline.
type verifier struct {
	key  ed25519.PublicKey
	host string

	mu   sync.Mutex
	seen map[string]time.Time // request ID -> its deadline
}

func newVerifier(key ed25519.PublicKey, host string) *verifier {
	return &verifier{key: key, host: host, seen: map[string]time.Time{}}
}

// check returns why the request must be refused, or nil.
func (v *verifier) check(body []byte, sigHex string, req *Request, now time.Time) error {
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(v.key, body, sig) {
		return errors.New("not signed by the hub this agent trusts (fleet.hub_public_key)")
	}
	switch {
	case req.V != protocolVersion:
		return fmt.Errorf("protocol version %d; this agent speaks %d (upgrade hub and agents together)", req.V, protocolVersion)
	case req.Host != v.host:
		return fmt.Errorf("addressed to host %q, not %q", req.Host, v.host)
	case req.ID == "":
		return errors.New("no request ID")
	case req.Sent.After(now.Add(clockSkew)):
		return fmt.Errorf("sent %s in the future: are the hub's and this host's clocks in step?", req.Sent.Sub(now).Round(time.Second))
	case !now.Before(req.Deadline):
		return errors.New("past its deadline")
	case req.Deadline.Sub(now) > maxLifetime:
		return fmt.Errorf("deadline more than %s away", maxLifetime)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, until := range v.seen {
		if !now.Before(until) {
			delete(v.seen, id)
		}
	}
	if _, dup := v.seen[req.ID]; dup {
		return errors.New("a replay of a request already received")
	}
	v.seen[req.ID] = req.Deadline
	return nil
}
