package slack

import (
	"context"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// actionCancel is the action ID of a progress message's Cancel button; its
// value is the command it runs, /ops cancel with the run's ID.
const actionCancel = actionPrefix + "cancel"

// renderProgress draws a run under way (a rolling restart): what it is,
// each step with its state, how long it has run, and how to stop it, with
// a Cancel button until it ends or someone cancels it.
func renderProgress(p ops.Progress) Message {
	blocks := []slackgo.Block{section(":arrows_counterclockwise: " + style.ProgressHead(p))}
	blocks = append(blocks, renderSteps(p)...)
	blocks = append(blocks, contextText(style.ProgressFoot(p)+" · requested by "+mention(p.Requester)))
	if !p.Finished && p.CancelledBy == "" {
		cancel := slackgo.NewButtonBlockElement(actionCancel, chat.CancelCommand(p.RunID), plain("Cancel")).WithStyle(slackgo.StyleDanger)
		blocks = append(blocks, slackgo.NewActionBlock("", cancel))
	}
	return fit(Message{Text: truncate(escape(p.Title), maxFallbackText), Blocks: blocks})
}

// renderSteps lists a run's steps, one line each.
func renderSteps(p ops.Progress) []slackgo.Block {
	lines := make([]string, 0, len(p.Steps))
	for _, st := range p.Steps {
		lines = append(lines, style.StepLine(st))
	}
	var out []slackgo.Block
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	return out
}

// progressMessage is where a run's progress is drawn: the message clicked
// (an approval request), or one posted in the channel with the first
// report. Only the chat.Progress's sender touches ref until Finish.
type progressMessage struct {
	a      *Adapter
	o      origin
	ref    msgRef
	posted bool // ref is a message posted for the progress, not one clicked
	failed bool // it could not be posted: the result goes as any other
	u      *chat.Progress
}

// newProgress draws the progress of the run applied under the returned
// context in the message at ref, or, when ref is nil, in a message posted
// in o's channel.
func (a *Adapter) newProgress(ctx context.Context, o origin, ref *msgRef) (context.Context, *progressMessage) {
	pm := &progressMessage{a: a, o: o}
	if ref != nil {
		pm.ref = *ref
	}
	pm.u = chat.NewProgress(ctx, a.progressGap, pm.send)
	return ops.WithWatcher(ctx, pm.u.Watch), pm
}

// send posts or updates the progress message; Slack's 429s are waited out
// (the chat.Progress holds the next report meanwhile).
func (pm *progressMessage) send(ctx context.Context, p ops.Progress) {
	msg := renderProgress(p)
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)}
	switch {
	case pm.failed:
	case pm.ref.TS == "":
		ch, ts, err := pm.a.postRetrying(ctx, pm.o.Channel, opts...)
		if err != nil {
			pm.failed = true
			pm.a.log.Warn("slack: could not post a run's progress; its result follows when it ends", "channel", pm.o.Channel, "run", p.RunID, "err", err)
			return
		}
		pm.ref, pm.posted = msgRef{Channel: ch, TS: ts}, true
	default:
		if err := pm.a.updateRetrying(ctx, pm.ref.Channel, pm.ref.TS, opts...); err != nil {
			pm.a.log.Warn("slack: could not update a run's progress", "channel", pm.ref.Channel, "run", p.RunID, "err", err)
		}
	}
}

// finish draws the result of a run in its progress message, once the
// updates in flight are done; a result without progress drawn goes as
// usual (orElse).
func (pm *progressMessage) finish(ctx context.Context, actor ops.Actor, res ops.Result, orElse func(context.Context)) {
	pm.u.Finish(ctx, func(ctx context.Context) {
		a := pm.a
		if !pm.u.Watched() || pm.failed || pm.ref.TS == "" {
			orElse(ctx)
			return
		}
		_, decided := chat.Decided(res)
		if decided && !pm.posted {
			orElse(ctx) // the decision replaces the request, which showed the progress
			return
		}
		msg, vis := Render(res), visibility(res)
		if vis == visChannel {
			msg = attribute(msg, pm.o, actor)
		}
		if err := a.updateRetrying(ctx, pm.ref.Channel, pm.ref.TS,
			slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)); err != nil {
			a.log.Warn("slack: could not draw a run's result in its progress message; posting it", "run", res.Operation, "err", err)
			orElse(ctx)
			return
		}
		if use := fileUse(res); use == chat.FileWith || use == chat.FileInstead { // the whole answer, a roll across many hosts
			if _, err := a.upload(ctx, pm.o, res, chat.Document(res), vis); err != nil {
				a.log.Error("slack: could not upload a run's document", "run", res.Operation, "err", err)
			}
		}
		if decided { // a typed /ops approve: the request's copies lose their buttons
			a.afterDecision(ctx, res, actor)
			return
		}
		a.sendPrivate(ctx, pm.o, actor, res)
	})
}

// isCancel reports whether a result answers /ops cancel: the presser of a
// Cancel button is answered alone.
func isCancel(res ops.Result) bool { return res.Operation == "ops.cancel" }
