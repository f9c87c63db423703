package discord

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/posted"
)

// planStore keeps the commands of form plans whose command is too long for
// their Apply button's custom_id: the button carries a key to it instead.
// It keeps them where the adapter keeps its posted approvals (posted.Store
// on the embedded database, given by WithPosted; memory without one), for
// posted.Memory, so a plan still applies after `serve` restarts. Nothing is
// read back from the message a member clicked.
type planStore struct {
	cmds *posted.Tracker[string]
}

func newPlanStore(s *posted.Store, now func() time.Time) *planStore {
	return &planStore{cmds: posted.New[string](s, "discord-plan", now)}
}

// put stores text and returns its key.
func (s *planStore) put(ctx context.Context, text string) (string, error) {
	var b [10]byte
	_, _ = rand.Read(b[:])
	key := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	return key, s.cmds.Add(ctx, key, text)
}

// take returns and forgets the text stored under key, if it is still kept.
func (s *planStore) take(ctx context.Context, key string) (string, bool) {
	texts, _ := s.cmds.Take(ctx, key)
	if len(texts) == 0 {
		return "", false
	}
	return texts[0], true
}
