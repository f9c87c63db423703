package mattermost

import (
	"context"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// renderProgress draws a run under way (a rolling restart): what it is,
// each step with its state, how long it has run and how to stop it, with
// a Cancel button until it ends or someone cancels it.
func renderProgress(p ops.Progress) Message {
	lines := []string{"🔄 " + style.ProgressHead(p), ""}
	for _, st := range p.Steps {
		lines = append(lines, "- "+style.StepLine(st))
	}
	who := firstNonEmpty(p.Requester.Name, p.Requester.ID)
	lines = append(lines, "", style.ProgressFoot(p), "_Requested by "+escape(who)+" ("+escape(p.Requester.String())+")._")
	m := Message{Text: fit([]block{textBlock(strings.Join(lines, "\n"))}, maxPostChars)}
	if !p.Finished && p.CancelledBy == "" {
		m.Buttons = []Button{{Label: "Cancel", Style: "danger", Command: chat.CancelCommand(p.RunID)}}
	}
	return m
}

// progressPost draws a run's progress in a post of the bot's own in the
// channel it was asked in, posted at the first report and updated at each
// next one (chat.Progress keeps them within Mattermost's rate limit), and
// at the end replaced by the result. Only the chat.Progress's sender
// touches id until Finish.
type progressPost struct {
	a       *Adapter
	channel string
	id      string
	u       *chat.Progress
}

// newProgress draws the progress of the run applied under the returned
// context in channel.
func (a *Adapter) newProgress(ctx context.Context, channel string) (context.Context, *progressPost) {
	pp := &progressPost{a: a, channel: channel}
	pp.u = chat.NewProgress(ctx, chat.ProgressGap, pp.send)
	return ops.WithWatcher(ctx, pp.u.Watch), pp
}

func (pp *progressPost) send(ctx context.Context, p ops.Progress) {
	post := pp.a.post(pp.channel, renderProgress(p))
	if pp.id == "" {
		id, err := pp.a.api.CreatePost(ctx, post)
		if err != nil {
			pp.a.log.Warn("mattermost: could not post a run's progress", "run", p.RunID, "err", err)
			return
		}
		pp.id = id
		return
	}
	post.ID = pp.id
	if err := pp.a.api.UpdatePost(ctx, post); err != nil {
		pp.a.log.Warn("mattermost: could not update a run's progress", "run", p.RunID, "err", err)
	}
}

// finish waits for the updates in flight, then shows the result: in the
// progress post when there is one (and a decision also on its requests'
// posts), else as answer does.
func (pp *progressPost) finish(ctx context.Context, actor ops.Actor, res ops.Result, answer func(context.Context)) {
	pp.u.Finish(ctx, func(ctx context.Context) {
		if pp.id == "" {
			answer(ctx)
			return
		}
		m := Render(res)
		m.Text += "\n\n_Asked by " + escape(firstNonEmpty(actor.Name, actor.ID)) + "._"
		post := pp.a.post(pp.channel, m)
		post.ID = pp.id
		if err := pp.a.api.UpdatePost(ctx, post); err != nil {
			pp.a.log.Warn("mattermost: could not show a run's result", "err", err)
		} else {
			pp.a.fileAfterProgress(ctx, pp.channel, pp.id, res)
		}
		if id, ok := chat.Decided(res); ok {
			pp.a.updateApproval(ctx, id, res, actor, "")
		}
	})
}
