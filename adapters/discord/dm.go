package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

var _ chat.DirectMessager = (*Adapter)(nil)

// directMessage renders m: its text, escaped (a grant's reason is anyone's
// words) in a message that allows no mentions, and its button when its
// command fits a custom_id. A click in the DM comes as an interaction
// with a user and no member, and runs the command like any button.
func directMessage(m chat.Direct) Message {
	msg := RenderText(escape(m.Text))
	if m.Action != "" && len(buttonPrefix+m.Action) <= maxCustomID {
		label := m.ActionLabel
		if label == "" {
			label = "Ask"
		}
		msg.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			button(label, discordgo.PrimaryButton, m.Action),
		}}}
	}
	return msg
}

// DirectMessage implements chat.DirectMessager: the user's DM channel
// (POST /users/@me/channels), then a message in it.
// https://discord.com/developers/docs/resources/user#create-dm
func (a *Adapter) DirectMessage(ctx context.Context, userID string, m chat.Direct) error {
	msg := directMessage(m)
	if err := a.api.DM(ctx, userID, &msg); err != nil {
		return fmt.Errorf("discord direct message to %s: %w", userID, err)
	}
	return nil
}
