package discord

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/posted"
)

// alertActionMemory is how long an alert's button keeps working: an alert
// stays in the channel far longer than an approval.
const alertActionMemory = 30 * 24 * time.Hour

// alertActions keeps the commands of alert buttons too long for a
// custom_id (a GROUP:PROCESS of 64 characters each, --host of a long
// name): the button carries alertKey and a key to the command, kept where
// the adapter keeps its posted approvals (posted.Store, given by
// WithPosted; memory without one), so the button works after `serve`
// restarts. Nothing is read back from the message a member clicked.
//
// Unlike a plan's Apply, an alert's button may be pressed again (a restart
// that failed), so the command is read, not taken. Its key is a digest of
// the command: the same alert updated keeps its key and adds no row.
type alertActions struct {
	cmds *posted.Tracker[alertAction]
}

// alertAction is what an alert's button runs, kept as JSON.
type alertAction struct {
	Command string `json:"command"`
}

// alertKey prefixes the custom_id of an alert button whose command is kept
// in alertActions.
const alertKey = buttonPrefix + "alert:key:"

func newAlertActions(s *posted.Store, now func() time.Time) *alertActions {
	return &alertActions{cmds: posted.New[alertAction](s, "discord-alert", now).For(alertActionMemory)}
}

// put keeps command, unless it is kept already, and returns its key.
func (s *alertActions) put(ctx context.Context, command string) (string, error) {
	sum := sha256.Sum256([]byte(command))
	key := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15])
	if kept, err := s.cmds.Get(ctx, key); err == nil && len(kept) > 0 && kept[0].Command == command {
		return key, nil
	}
	return key, s.cmds.Add(ctx, key, alertAction{Command: command})
}

// get returns the command kept under key, if any.
func (s *alertActions) get(ctx context.Context, key string) (string, bool) {
	kept, _ := s.cmds.Get(ctx, key)
	if len(kept) == 0 || kept[0].Command == "" {
		return "", false
	}
	return kept[0].Command, true
}
