package discord

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// renderProgress draws a run under way (a rolling restart): what it is,
// each step with its state, how long it has run, and how to stop it, with
// a Cancel button until it ends or someone cancels it.
func renderProgress(p ops.Progress) Message {
	desc := []string{style.ProgressHead(p), stepLines(p), style.ProgressFoot(p)}
	who := "Requested by " + p.Requester.String()
	if p.Requester.Name != "" {
		who = "Requested by " + p.Requester.Name + " (" + p.Requester.String() + ")"
	}
	e := &discordgo.MessageEmbed{Title: truncate("🔄 "+p.Title, maxTitle), Description: strings.Join(desc, "\n"),
		Color: colourPending, Footer: &discordgo.MessageEmbedFooter{Text: truncate(who, maxFooter)}}
	m := newMessage(e)
	if !p.Finished && p.CancelledBy == "" {
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			button("Cancel", discordgo.DangerButton, chat.CancelCommand(p.RunID)),
		}}}
	}
	return fit(m)
}

// stepLines lists a run's steps, one line each, within a description's
// room beside its headline and foot.
func stepLines(p ops.Progress) string {
	lines := make([]string, 0, len(p.Steps))
	for _, st := range p.Steps {
		lines = append(lines, style.StepLine(st))
	}
	text, _ := joinLines(lines, maxDescription-800)
	return text
}

// progressMessage draws a run's progress in the interaction's original
// response: the deferred answer of a command, or, for a click, the
// message clicked (an approval request). Edits wait until the interaction
// is answered (answered is closed then; in gateway mode the client waits
// for the callback as well). Only the chat.Progress's sender touches sent
// until Finish.
type progressMessage struct {
	a        *Adapter
	tok      token
	answered <-chan struct{}
	sent     bool // the original response shows the progress
	u        *chat.Progress
}

// newProgress draws the progress of the run applied under the returned
// context in tok's original response, once answered is closed.
func (a *Adapter) newProgress(ctx context.Context, tok token, answered <-chan struct{}) (context.Context, *progressMessage) {
	pm := &progressMessage{a: a, tok: tok, answered: answered}
	pm.u = chat.NewProgress(ctx, a.progressGap, pm.send)
	return ops.WithWatcher(ctx, pm.u.Watch), pm
}

// send edits the original response (a 429 is waited out by the client,
// while the chat.Progress holds the next report). An answer given at once
// (the run was quick) is the result itself: nothing is edited then.
func (pm *progressMessage) send(ctx context.Context, p ops.Progress) {
	select {
	case <-pm.answered:
	case <-pm.u.Stopped():
		return
	case <-ctx.Done():
		return
	}
	m := renderProgress(p)
	if err := pm.a.api.EditOriginal(ctx, pm.a.cfg.ApplicationID, pm.tok.Value, &m); err != nil {
		pm.a.log.Warn("discord: could not update a run's progress", "run", p.RunID, "err", err)
		return
	}
	pm.sent = true
}

// finish calls then once the progress updates in flight are done; then
// may draw the result in the original response.
func (pm *progressMessage) finish(ctx context.Context, then func(ctx context.Context, sent bool)) {
	pm.u.Finish(ctx, func(ctx context.Context) { then(ctx, pm.sent) })
}

// isCancel reports whether a result answers /ops cancel: the presser of a
// Cancel button is answered alone.
func isCancel(res ops.Result) bool { return res.Operation == "ops.cancel" }
