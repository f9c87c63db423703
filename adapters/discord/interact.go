package discord

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// interaction answers one verified interaction, whatever its transport.
func (a *Adapter) interaction(ctx context.Context, in *discordgo.Interaction) *response {
	if in.Type == discordgo.InteractionPing {
		return pong
	}
	if in.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return a.autocomplete(ctx, in)
	}
	first, err := a.claim(ctx, "interaction:"+in.ID)
	if err != nil {
		return reply(ephemeral(RenderText("❌ poolvisor could not record this request (its database failed), so nothing was done. Try again in a moment.")))
	}
	if !first {
		if in.Type == discordgo.InteractionMessageComponent {
			return ackUpdate
		}
		return reply(ephemeral(RenderText("This request was already received; it runs once.")))
	}
	switch in.Type {
	case discordgo.InteractionApplicationCommand:
		return a.command(in)
	case discordgo.InteractionMessageComponent:
		if r, ok := a.formButton(ctx, in); ok { // a previewed form's Apply or Cancel (formplan.go)
			return r
		}
		return a.component(ctx, in)
	case discordgo.InteractionModalSubmit:
		return a.submitted(in)
	}
	return reply(ephemeral(RenderText("poolvisor does not handle this kind of interaction.")))
}

// actor returns the member as the core knows them: the immutable user ID,
// a display name for messages only, the IDs of their roles, and the
// channel they asked in (which picks the default host in fleet mode).
func actor(in *discordgo.Interaction) ops.Actor {
	if in.Member != nil && in.Member.User != nil {
		u := in.Member.User
		return ops.Actor{Platform: "discord", ID: u.ID, Name: firstNonEmpty(in.Member.Nick, u.GlobalName, u.Username),
			Groups: append([]string(nil), in.Member.Roles...), Channel: in.ChannelID}
	}
	if in.User != nil { // a direct message: no guild, no roles
		return ops.Actor{Platform: "discord", ID: in.User.ID, Name: firstNonEmpty(in.User.GlobalName, in.User.Username),
			Channel: in.ChannelID}
	}
	return ops.Actor{Platform: "discord", Channel: in.ChannelID}
}

// command runs an application command and answers with its result when
// that is ready within fastAnswer, else defers and edits the response.
func (a *Adapter) command(in *discordgo.Interaction) *response {
	d := in.ApplicationCommandData()
	path, vals, _ := interactionOptions(d.Options)
	text, ok := commandText(d.Name, path, vals)
	if !ok {
		return reply(ephemeral(RenderText(fmt.Sprintf("⚠️ /%s %s is not a poolvisor command; the commands may be out of date.",
			d.Name, strings.Join(path, " ")))))
	}
	if raw, target, ok := formOf(d.Name, path, vals); ok {
		return a.openForm(actor(in), d.Name+" "+strings.Join(path, " "), target, raw)
	}
	// Whether a deferred answer is public must be chosen before the result
	// is known: writes are, reads are not.
	return a.runText(in, text, isWrite(d.Name, path, vals))
}

// runText runs command text as the member and answers with its result
// when that is ready within fastAnswer, else defers and edits the response.
func (a *Adapter) runText(in *discordgo.Interaction, text string, public bool) *response {
	who, tok, typed := actor(in), a.tokenOf(in), "/"+text
	// A run that goes in steps (a rolling restart) draws them in the
	// deferred answer, which its result then replaces.
	answered := make(chan struct{})
	var pm *progressMessage
	res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		var wctx context.Context
		wctx, pm = a.newProgress(ctx, tok, answered)
		return a.run.Run(wctx, who, text)
	}, func(ctx context.Context, res ops.Result) {
		pm.finish(ctx, func(ctx context.Context, _ bool) { a.finishDeferred(ctx, tok, public, who, typed, res) })
	})
	if !ready {
		close(answered)
		if public {
			return deferPublic
		}
		return deferEphemeral
	}
	a.bg.Go(func(ctx context.Context) { pm.finish(ctx, func(context.Context, bool) {}) }) // the answer is the result
	if sendsFile(res) {
		// An HTTP answer cannot carry a file: defer, with the result's
		// visibility, and edit the deferral with the file once it is in.
		public := !private(res)
		a.bg.Go(func(ctx context.Context) { a.finishDeferred(ctx, tok, public, who, typed, res) })
		if public {
			return deferPublic
		}
		return deferEphemeral
	}
	if hasPrivate(res, who) && !isApprovalRequest(res) {
		return a.answerPrivately(res, who, typed, tok)
	}
	m := withFile(resultMessage(res, who, typed), res) // a note, when the file is too large to send
	a.bg.Go(func(ctx context.Context) { a.afterResult(ctx, res, who, tok) })
	return reply(m)
}

// isWrite reports whether the subcommand at path writes (a --plan does not).
func isWrite(top string, path []string, given []optionValue) bool {
	for _, o := range given {
		if b, _ := o.Value.(bool); o.Name == planOpt.Name && b {
			return false
		}
	}
	for _, sc := range tree()[top] {
		if slices.Equal(sc.Path, path) {
			return ops.KindOf(sc.opOf(given)) == ops.Write
		}
	}
	return false
}

// component runs a clicked button's command as the clicking member. A
// decision replaces the request's buttons with its outcome (type 7); a
// refusal is explained to the clicker alone and leaves the buttons for
// someone who may decide.
func (a *Adapter) component(ctx context.Context, in *discordgo.Interaction) *response {
	d := in.MessageComponentData()
	text, ok := strings.CutPrefix(d.CustomID, buttonPrefix)
	if kept, known, isAlert := a.alertCommand(ctx, d.CustomID); isAlert {
		if !known {
			return reply(ephemeral(RenderText("⚠️ poolvisor does not know this alert's button (it is more than 30 days old, or not one poolvisor posted); nothing was run. " +
				"Type the command instead.")))
		}
		text = kept
	}
	if !ok || text == "" {
		return ackUpdate
	}
	who, tok := actor(in), a.tokenOf(in)
	var clicked msgRef
	if in.Message != nil {
		clicked = msgRef{Channel: firstNonEmpty(in.Message.ChannelID, in.ChannelID), Message: in.Message.ID}
	}
	// A run that goes in steps (an approved rolling restart) draws them
	// in the message clicked, which its result then replaces.
	answered := make(chan struct{})
	var pm *progressMessage
	res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		var wctx context.Context
		wctx, pm = a.newProgress(ctx, tok, answered)
		return a.run.Run(wctx, who, text)
	}, func(ctx context.Context, res ops.Result) {
		pm.finish(ctx, func(ctx context.Context, sent bool) {
			if _, decided := chat.Decided(res); sent && !decided {
				a.resultInClicked(ctx, tok, who, text, res)
				return
			}
			a.clickedLate(ctx, tok, clicked, who, text, res)
		})
	})
	if !ready {
		close(answered)
		return ackUpdate
	}
	a.bg.Go(func(ctx context.Context) { pm.finish(ctx, func(context.Context, bool) {}) }) // the answer is the result
	if id, ok := chat.Decided(res); ok {
		a.bg.Go(func(ctx context.Context) { a.updateApproval(ctx, id, res, who, &clicked) })
		return updateMessage(decisionMessage(res, who))
	}
	if res.Operation == "ops.approve" || isCancel(res) { // for the clicker alone
		return reply(ephemeral(Render(res)))
	}
	a.bg.Go(func(ctx context.Context) { a.afterResult(ctx, res, who, tok) })
	return reply(resultMessage(res, who, "/"+text))
}

// clickedLate finishes a click whose result took longer than fastAnswer
// (the click was acknowledged with type 6).
func (a *Adapter) clickedLate(ctx context.Context, tok token, clicked msgRef, who ops.Actor, text string, res ops.Result) {
	if id, ok := chat.Decided(res); ok {
		m := decisionMessage(res, who)
		if err := a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &m); err != nil {
			a.log.Warn("discord: could not update a clicked approval request; editing it with the bot token", "err", err)
			a.editRef(ctx, clicked, &m)
		}
		a.updateApproval(ctx, id, res, who, &clicked)
		return
	}
	m := resultMessage(res, who, "/"+text)
	if res.Operation == "ops.approve" || isCancel(res) {
		m = ephemeral(Render(res))
	}
	if err := a.api.Followup(ctx, a.cfg.ApplicationID, tok.Value, &m); err != nil {
		a.log.Error("discord: could not answer a click", "err", err)
		return
	}
	a.afterResult(ctx, res, who, tok)
}

// resultInClicked replaces the message clicked, which showed a run's
// progress, with the run's result.
func (a *Adapter) resultInClicked(ctx context.Context, tok token, who ops.Actor, text string, res ops.Result) {
	m := resultMessage(res, who, "/"+text)
	m.Flags = 0 // an edit keeps the message's visibility
	if err := a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &m); err != nil {
		a.log.Error("discord: could not draw a run's result in the message clicked", "err", err)
		return
	}
	a.afterResult(ctx, res, who, tok)
}
