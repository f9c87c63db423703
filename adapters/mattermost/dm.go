package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

var _ chat.DirectMessager = (*Adapter)(nil)

// directAPI is what a direct message needs of the REST API besides
// posting; the REST client has it, and tests' fakes of API may not.
type directAPI interface {
	// Me returns the bot's own user ID.
	Me(ctx context.Context) (string, error)
	// DirectChannel returns the direct channel between users a and b.
	DirectChannel(ctx context.Context, a, b string) (string, error)
}

// Me implements directAPI: GET /api/v4/users/me.
// https://api.mattermost.com/#tag/users/operation/GetUser
func (c *restClient) Me(ctx context.Context) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "users.me", http.MethodGet, "/api/v4/users/me", nil, &out, true); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("mattermost users.me: the answer has no id")
	}
	return out.ID, nil
}

// DirectChannel implements directAPI: POST /api/v4/channels/direct, which
// gives the existing channel when there is one.
// https://api.mattermost.com/#tag/channels/operation/CreateDirectChannel
func (c *restClient) DirectChannel(ctx context.Context, a, b string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "channels.direct", http.MethodPost, "/api/v4/channels/direct", []string{a, b}, &out, true); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("mattermost channels.direct: the answer has no id")
	}
	return out.ID, nil
}

// DirectMessage implements chat.DirectMessager: the direct channel between
// the bot and the user, then a post there whose button (signed for that
// channel, like every button) runs m.Action as whoever clicks it.
func (a *Adapter) DirectMessage(ctx context.Context, userID string, m chat.Direct) error {
	api, ok := a.api.(directAPI)
	if !ok {
		return errors.New("mattermost: this client cannot open direct channels")
	}
	bot, err := api.Me(ctx)
	if err != nil {
		return fmt.Errorf("mattermost direct message to %s: %w", userID, err)
	}
	ch, err := api.DirectChannel(ctx, bot, userID)
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
