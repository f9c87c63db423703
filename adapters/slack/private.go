package slack

import (
	"context"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// privateText is how text for one person alone (a new XML-RPC password)
// is shown to them: in a code block, so that mrkdwn leaves it as it is.
func privateText(p *ops.Private) Message {
	return RenderText(":closed_lock_with_key: Only you see this:\n```" + escape(p.Text) + "```")
}

// sendPrivate shows a result's private text to the person it is for, and
// to nobody else: as an ephemeral answer when they asked here (o), else
// with chat.postEphemeral in the channel they asked from. A requester on
// another platform cannot be reached from here; the text is then dropped,
// never shown to whoever decided.
func (a *Adapter) sendPrivate(ctx context.Context, o origin, actor ops.Actor, res ops.Result) {
	p := res.Private
	if p == nil || p.Text == "" {
		return
	}
	msg := privateText(p)
	if p.To.Same(actor) && o.User == actor.ID {
		a.send(ctx, o, msg, visEphemeral)
		return
	}
	if p.To.Platform != "slack" || p.To.Channel == "" {
		a.log.Warn("slack: text for the requester alone could not be delivered privately; it is dropped",
			"operation", res.Operation, "requester", p.To.String())
		return
	}
	if _, err := a.api.PostEphemeralContext(ctx, p.To.Channel, p.To.ID,
		slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)); err != nil {
		a.log.Error("slack: could not show the requester their private text", "requester", p.To.String(), "err", err)
	}
}
