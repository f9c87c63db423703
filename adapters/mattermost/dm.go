package mattermost

import (
	"context"
	"errors"
	"fmt"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

var _ chat.DirectMessager = (*Adapter)(nil)

// directAPI is what a direct message needs of the REST API besides
// posting (files.go's FileAPI has it too); the REST client has it, and
// tests' fakes of API may not.
type directAPI interface {
	// DirectChannel returns the channel of the bot's direct messages with
	// a user, creating it if need be.
	DirectChannel(ctx context.Context, userID string) (string, error)
}

// DirectMessage implements chat.DirectMessager: the direct channel between
// the bot and the user, then a post there whose button (signed for that
// channel, like every button) runs m.Action as whoever clicks it.
func (a *Adapter) DirectMessage(ctx context.Context, userID string, m chat.Direct) error {
	api, ok := a.api.(directAPI)
	if !ok {
		return errors.New("mattermost: this client cannot open direct channels")
	}
	ch, err := api.DirectChannel(ctx, userID)
	if err != nil {
		return fmt.Errorf("mattermost direct message to %s: %w", userID, err)
	}
	msg := Message{Text: escape(m.Text)}
	if m.Action != "" {
		msg.Buttons = []Button{{Label: firstNonEmpty(m.ActionLabel, "Ask"), Style: "primary", Command: m.Action}}
	}
	if _, err := a.api.CreatePost(ctx, a.post(ch, msg)); err != nil {
		return fmt.Errorf("mattermost direct message to %s: %w", userID, err)
	}
	return nil
}
