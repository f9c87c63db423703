package slack

import (
	"context"
	"errors"
	"fmt"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

var _ chat.DirectMessager = (*Adapter)(nil)

// actionDirect is the button of a direct message (a grant's "Ask for more
// time"); like every poolvisor button its value is the command it runs.
const actionDirect = actionPrefix + "direct"

// directMessage renders m: its text, escaped (a grant's reason is anyone's
// words), and its button when it has one that fits.
func directMessage(m chat.Direct) Message {
	text := escape(m.Text)
	blocks := []slackgo.Block{
		slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, truncate(text, maxSectionText), false, false), nil, nil),
	}
	if m.Action != "" && len(m.Action) <= maxButtonValue {
		label := m.ActionLabel
		if label == "" {
			label = "Ask"
		}
		blocks = append(blocks, slackgo.NewActionBlock("", slackgo.NewButtonBlockElement(actionDirect, m.Action, plain(truncate(label, maxButtonText)))))
	}
	return Message{Text: truncate(text, maxFallbackText), Blocks: blocks}
}

// DirectMessage implements chat.DirectMessager: conversations.open with
// the user, then chat.postMessage there, retried when Slack asks to wait.
// https://docs.slack.dev/reference/methods/conversations.open
func (a *Adapter) DirectMessage(ctx context.Context, userID string, m chat.Direct) error {
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return fmt.Errorf("slack conversations.open with %s: %w", userID, err)
	}
	if ch == nil || ch.ID == "" {
		return errors.New("slack conversations.open: the answer names no channel")
	}
	msg := directMessage(m)
	_, _, err = a.postRetrying(ctx, ch.ID, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
	return err
}
