package discord

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// response is the answer to an interaction: its type and, for messages,
// the message, or for autocomplete, the choices.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

// flagsOnly is the data of a deferral: only its visibility.
type flagsOnly struct {
	Flags discordgo.MessageFlags `json:"flags"`
}

type choicesData struct {
	Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

var (
	pong           = &response{Type: discordgo.InteractionResponsePong}
	ackUpdate      = &response{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	deferPublic    = &response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	deferEphemeral = &response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: flagsOnly{Flags: discordgo.MessageFlagsEphemeral}}
)

func reply(m Message) *response {
	return &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}
}

func updateMessage(m Message) *response {
	return &response{Type: discordgo.InteractionResponseUpdateMessage, Data: m}
}

func ephemeral(m Message) Message {
	m.Flags |= discordgo.MessageFlagsEphemeral
	return m
}

// private reports whether a result is for the asker alone (ephemeral):
// reads, refusals and plans are; writes that ran (ok or failed) and
// decisions are for the channel, so the team sees who changed what.
func private(res ops.Result) bool {
	if res.Status != ops.StatusOK && res.Status != ops.StatusFailed {
		return true
	}
	return ops.KindOf(res.Operation) != ops.Write || res.Operation == "" || view.Decode(res.Data).Plan != nil
}

// attribute adds who asked, and what, to a message the channel sees.
func attribute(m Message, actor ops.Actor, command string) Message {
	if len(m.Embeds) == 0 {
		return m
	}
	note := "Requested by " + actor.String()
	if actor.Name != "" {
		note = "Requested by " + actor.Name + " (" + actor.String() + ")"
	}
	if command != "" { // as typed, but never a secret typed in it
		note += " · " + truncate(ops.RedactText(command), 200)
	}
	e := m.Embeds[len(m.Embeds)-1]
	if e.Footer != nil {
		note = e.Footer.Text + "\n" + note
	}
	e.Footer = &discordgo.MessageEmbedFooter{Text: note}
	return fit(m)
}

// answer renders a finished result for the channel or the asker alone.
func answer(res ops.Result, actor ops.Actor, command string) Message {
	m := Render(res)
	if private(res) {
		return ephemeral(m)
	}
	return attribute(m, actor, command)
}

// resultMessage is answer, except that an approval request is the request
// itself, with its buttons, for the channel.
func resultMessage(res ops.Result, actor ops.Actor, command string) Message {
	if isApprovalRequest(res) {
		return Render(res)
	}
	return answer(res, actor, command)
}

func isApprovalRequest(res ops.Result) bool {
	return res.Status == ops.StatusPending && view.Decode(res.Data).Approval != nil
}

// token is an interaction's token and when it stops working.
type token struct {
	Value   string
	Expires time.Time
}

func (a *Adapter) tokenOf(in *discordgo.Interaction) token {
	return token{Value: in.Token, Expires: a.cfg.Now().Add(interactionTokenLifetime - time.Minute)}
}

// finishDeferred edits a deferred response (type 5) with its result. A
// result that should have been private in a public deferral is replaced by
// a short note, and shown to the asker alone in a follow-up.
func (a *Adapter) finishDeferred(ctx context.Context, tok token, public bool, actor ops.Actor, command string, res ops.Result) {
	m := resultMessage(res, actor, command)
	m = withFile(m, res)
	if public && m.Flags&discordgo.MessageFlagsEphemeral != 0 {
		note := RenderText(truncate(ops.RedactText(command), 200) + " was not applied; the reason is shown to the requester.")
		if err := a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &note); err != nil {
			a.log.Warn("discord: could not edit a deferred response", "err", err)
		}
		if err := a.api.Followup(ctx, a.cfg.ApplicationID, tok.Value, &m); err != nil {
			a.log.Error("discord: could not send a result", "err", err)
		}
		return
	}
	m.Flags = 0 // the deferral fixed the visibility
	edit := func() error { return a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &m) }
	if len(m.files) > 0 { // deferred just now (runText): Discord may not have the deferral yet
		edit = func() error {
			return a.whenAnswered(ctx, func() error { return a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &m) })
		}
	}
	if err := edit(); err != nil {
		a.log.Error("discord: could not edit a deferred response", "err", err)
		return
	}
	if hasPrivate(res, actor) {
		mine := privateMessage(res.Private)
		if err := a.api.Followup(ctx, a.cfg.ApplicationID, tok.Value, &mine); err != nil {
			a.log.Error("discord: could not show the requester their private text", "err", err)
		}
	}
	a.afterResult(ctx, res, actor, tok)
}
