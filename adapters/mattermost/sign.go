package mattermost

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// Mattermost signs neither slash commands (they carry a per-command token)
// nor the callbacks of buttons. A button's context is poolvisor's own
// words sent back, so poolvisor signs it: the command a button runs and
// the channel it was posted in, with HMAC-SHA256 under action_secret. A
// callback whose context does not verify is refused before anything runs,
// so no one can make up a button (an "ops approve" of their choosing, or
// a restart) by posting to /mattermost/actions. The clicker's user_id is
// Mattermost's word, as in a slash command; see docs/mattermost.md.

// ErrBadContext is a button callback whose context poolvisor did not sign.
var ErrBadContext = errors.New("the button's context is not signed by this poolvisor")

// signer signs and verifies buttons' contexts.
type signer struct{ key []byte }

func (s signer) mac(channel, command string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(channel))
	m.Write([]byte{0}) // a channel ID never holds NUL: the parts cannot run together
	m.Write([]byte(command))
	return m.Sum(nil)
}

// context is what a button in channel that runs command carries.
func (s signer) context(channel, command string) ActionContext {
	return ActionContext{Command: command, Sig: hex.EncodeToString(s.mac(channel, command))}
}

// verify checks a callback's context against the channel it came from,
// in constant time.
func (s signer) verify(channel string, c ActionContext) error {
	sig, err := hex.DecodeString(c.Sig)
	if err != nil || len(s.key) == 0 || !hmac.Equal(sig, s.mac(channel, c.Command)) {
		return ErrBadContext
	}
	return nil
}
