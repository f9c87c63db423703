package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// commandText turns a slash command into the grammar's text: the command's
// name ("/supervisor") followed by what was typed. A bare command asks for
// its help.
func commandText(sc slackgo.SlashCommand) string {
	name := strings.TrimPrefix(strings.TrimSpace(sc.Command), "/")
	text := strings.TrimSpace(sc.Text)
	if text == "" {
		text = "help"
	}
	return name + " " + text
}

// command answers a slash command: it opens a form, or runs the command and
// answers with its result when that is ready within fastAnswer, or with a
// note that the result follows.
func (a *Adapter) command(ctx context.Context, sc slackgo.SlashCommand) any {
	first, err := a.claim(ctx, "command:"+firstNonEmpty(sc.TriggerID, sc.UserID+":"+sc.Text+":"+sc.ResponseURL))
	if err != nil {
		return storeFailed()
	}
	if !first {
		return nil
	}
	text := commandText(sc)
	a.responses.seen(sc.ResponseURL)
	o := origin{Channel: sc.ChannelID, User: sc.UserID, ResponseURL: sc.ResponseURL, Command: "/" + text}
	if f, ok := formFor(text); ok {
		trigger := triggerFrom(sc.TriggerID, a.cfg.Now())
		a.bg.Go(func(ctx context.Context) {
			a.openForm(ctx, a.actorIn(ctx, sc.UserID, sc.UserName, sc.ChannelID), o, trigger, f)
		})
		return nil
	}
	var (
		actor ops.Actor
		pm    *progressMessage // a run that goes in steps draws them in a message of its own
	)
	res, ok := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		actor = a.actorIn(ctx, sc.UserID, sc.UserName, sc.ChannelID)
		var wctx context.Context
		wctx, pm = a.newProgress(ctx, o, nil)
		return a.run.Run(wctx, actor, text)
	}, func(ctx context.Context, res ops.Result) {
		pm.finish(ctx, actor, res, func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
	})
	if !ok {
		return ephemeral(RenderText(fmt.Sprintf(":hourglass_flowing_sand: Working on `%s`…", escape(truncate(o.Command, 200)))))
	}
	if pm.u.Watched() { // its progress message shows the result
		a.bg.Go(func(ctx context.Context) {
			pm.finish(ctx, actor, res, func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		})
		return nil
	}
	return a.inline(o, actor, res)
}

// inline answers with a result that was ready in time. An approval request
// is posted as a message of its own (its buttons must be updatable), and a
// result too large for an acknowledgement goes by response_url.
func (a *Adapter) inline(o origin, actor ops.Actor, res ops.Result) any {
	if res.Status == ops.StatusPending && view.Decode(res.Data).Approval != nil {
		a.bg.Go(func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		return ephemeral(RenderText(fmt.Sprintf(":hourglass_flowing_sand: Approval request `%s` is posted in this channel; an approver decides with its buttons.",
			escape(res.ApprovalID))))
	}
	if use := fileUse(res); use != chat.NoFile { // uploads take longer than an acknowledgement may
		a.bg.Go(func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		switch use {
		case chat.FileInstead:
			return ephemeral(RenderText(":page_facing_up: The answer is long; it follows as a file in a moment."))
		case chat.FileWith:
			return ephemeral(RenderText(":page_facing_up: The answer follows in a moment, with the whole of it as a file."))
		}
		return ephemeral(RenderText(":page_facing_up: The answer is long; it follows in a moment."))
	}
	msg, vis := Render(res), visibility(res)
	if vis == visChannel {
		msg = attribute(msg, o, actor)
	}
	r := &reply{ResponseType: vis, Text: msg.Text, Blocks: msg.Blocks}
	if vis == visChannel && o.typedSecret() {
		a.bg.Go(func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		return ephemeral(RenderText(":lock: The answer is posted in the channel, without the secret you typed."))
	}
	if !fitsAck(r) {
		a.bg.Go(func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		return ephemeral(RenderText(":page_facing_up: The answer is long; it follows in a moment."))
	}
	if id, ok := chat.Decided(res); ok {
		a.bg.Go(func(ctx context.Context) { a.updateApproval(ctx, id, res, actor, nil, "") })
	} else if res.Private != nil {
		a.bg.Go(func(ctx context.Context) { a.sendPrivate(ctx, o, actor, res) })
	}
	return r
}

// trigger is a trigger_id with the time it arrived; it opens a modal only
// within triggerLifetime.
type trigger struct {
	ID      string
	Expires time.Time
}

func triggerFrom(id string, now time.Time) trigger {
	return trigger{ID: id, Expires: now.Add(triggerLifetime)}
}
