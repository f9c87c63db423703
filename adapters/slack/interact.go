package slack

import (
	"context"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// actionPrefix marks the action IDs of poolvisor's buttons; their values
// carry the command text a click runs.
const actionPrefix = "pv:"

// interaction answers a button click or a modal submission.
func (a *Adapter) interaction(ctx context.Context, cb slackgo.InteractionCallback) any {
	switch cb.Type {
	case slackgo.InteractionTypeBlockActions:
		return a.blockActions(ctx, cb)
	case slackgo.InteractionTypeViewSubmission:
		return a.viewSubmission(ctx, cb)
	}
	return nil
}

// blockActions runs each clicked button's command as the clicking user.
// Slack expects only an acknowledgement; what follows is posted.
func (a *Adapter) blockActions(ctx context.Context, cb slackgo.InteractionCallback) any {
	channel := firstNonEmpty(cb.Container.ChannelID, cb.Channel.ID)
	clicked := msgRef{Channel: channel, TS: firstNonEmpty(cb.Container.MessageTs, cb.Message.Timestamp)}
	for _, act := range cb.ActionCallback.BlockActions {
		if act.ActionID == actionPreview {
			a.preview(ctx, cb) // a form's Preview: redrawn in place, nothing applied (preview.go)
			continue
		}
		if !strings.HasPrefix(act.ActionID, actionPrefix) || act.Value == "" {
			continue
		}
		// A click is one action_ts; a retried delivery repeats it.
		first, err := a.claim(ctx, "action:"+cb.User.ID+":"+act.ActionID+":"+firstNonEmpty(act.ActionTs, cb.ActionTs, cb.TriggerID))
		if err != nil || !first {
			continue
		}
		a.responses.seen(cb.ResponseURL)
		o := origin{Channel: channel, User: cb.User.ID, ResponseURL: cb.ResponseURL}
		text := act.Value
		a.bg.Go(func(ctx context.Context) {
			actor := a.actorIn(ctx, cb.User.ID, firstNonEmpty(cb.User.Name, cb.User.Profile.DisplayName), cb.Channel.ID)
			// A run that goes in steps (an approved rolling restart) draws
			// them in the message clicked, which its result then replaces.
			wctx, pm := a.newProgress(ctx, o, &clicked)
			res := a.run.Run(wctx, actor, text)
			pm.finish(ctx, actor, res, func(ctx context.Context) { a.clicked(ctx, o, clicked, actor, res) })
		})
	}
	return nil
}

// clicked answers a click: a decision replaces the request's buttons with
// its outcome; a refusal is explained to the clicker alone and leaves the
// buttons for someone who may decide.
func (a *Adapter) clicked(ctx context.Context, o origin, ref msgRef, actor ops.Actor, res ops.Result) {
	if id, ok := chat.Decided(res); ok {
		a.updateApproval(ctx, id, res, actor, &ref, o.ResponseURL)
		return
	}
	if res.Operation == "ops.approve" || isCancel(res) { // for the presser alone
		msg := Render(res)
		if _, err := a.api.PostEphemeralContext(ctx, o.Channel, o.User,
			slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)); err != nil {
			a.log.Warn("slack: could not explain a refused click", "user", o.User, "err", err)
			a.send(ctx, o, msg, visEphemeral)
		}
		return
	}
	a.deliver(ctx, o, actor, res)
}
