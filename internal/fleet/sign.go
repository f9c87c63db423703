package fleet

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// LoadPrivateKey reads a key written by `poolvisor keygen`: the hex Ed25519
// seed on one line. key is the config key that names the file
// (fleet.hub_key_file, fleet.agent_key_file), for the error message.
func LoadPrivateKey(key, path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s %s: not a key written by poolvisor keygen (64 hexadecimal characters)", key, path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads a hex public key as `poolvisor keygen` prints it;
// key is the config key it was given as, for the error message.
func ParsePublicKey(key, s string) (ed25519.PublicKey, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%s: must be 64 hexadecimal characters, as poolvisor keygen prints", key)
	}
	return ed25519.PublicKey(raw), nil
}

// Domains of the agents' signatures. What a signature vouches for is part
// of what is signed, so that one kind of message from an agent cannot be
// passed off as another (an announcement as a reply, say).
const (
	domainReply    = "poolvisor reply\n"
	domainAnnounce = "poolvisor announce\n"
	domainAlert    = "poolvisor alert\n"
)

// signAs signs body in domain with key, as sigHeader carries it.
func signAs(key ed25519.PrivateKey, domain string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(key, append([]byte(domain), body...)))
}

// verifyAs reports whether sigHex is pub's signature of body in domain.
func verifyAs(pub ed25519.PublicKey, domain string, body []byte, sigHex string) bool {
	sig, err := hex.DecodeString(sigHex)
	return err == nil && len(sig) == ed25519.SignatureSize && len(pub) == ed25519.PublicKeySize &&
		ed25519.Verify(pub, append([]byte(domain), body...), sig)
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
	seen replayCache
}

func newVerifier(key ed25519.PublicKey, host string, seen replayCache) *verifier {
	return &verifier{key: key, host: host, seen: seen}
}

// check returns why the request must be refused, or nil.
func (v *verifier) check(ctx context.Context, body []byte, sigHex string, req *Request, now time.Time) error {
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
	first, err := v.seen.firstTime(ctx, req.ID, req.Deadline, now)
	if err != nil {
		// Refuse rather than risk running a replay.
		return fmt.Errorf("could not check the request against replays: %w", err)
	}
	if !first {
		return errors.New("a replay of a request already received")
	}
	return nil
}
