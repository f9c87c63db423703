package discord

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// A Discord modal holds text inputs only, no Preview button; so a submitted
// form is answered with its plan (SPEC §1: in chat forms, Preview does what
// --plan does) and applied only when its member clicks Apply.
//
// The plan is a message for the member alone, with an Apply and a Cancel
// button, and the command Apply runs in the footer of its first embed, in
// plain text. A click runs that command, without --plan, as the clicking
// member, through RBAC and approvals like any command. When "pv:" and the
// command fit in a custom_id (maxCustomID), Apply carries the command
// itself, as every poolvisor button does; when not, it carries planApply
// and the command is read back from the footer of the clicked message,
// which Discord sends with every click (the full message, ephemeral ones
// included). The message is the store: nothing is kept in memory, and a
// plan still applies after a restart, for as long as its message lives.
const (
	planApply  = buttonPrefix + "plan:apply"
	planCancel = buttonPrefix + "plan:cancel"
	applyNote  = "Apply runs: /"
)

// submitPlan answers a submitted form with its plan, for the member alone:
// within fastAnswer, else deferred and edited in when it is ready.
func (a *Adapter) submitPlan(in *discordgo.Interaction, text string) *response {
	who, tok := actor(in), a.tokenOf(in)
	res, ready := a.within(func(ctx context.Context) ops.Result {
		return a.run.Run(ctx, who, text+" --plan")
	}, func(ctx context.Context, res ops.Result) {
		m := planMessage(res, text)
		if err := a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &m); err != nil {
			a.log.Error("discord: could not show a form's plan", "err", err)
		}
	})
	if !ready {
		return deferEphemeral
	}
	return reply(ephemeral(planMessage(res, text)))
}

// planMessage draws the plan of a form's command text. A plan that can be
// applied gets the Apply and Cancel buttons and, in its first footer, the
// command Apply runs; one that cannot shows why, and how to try again.
func planMessage(res ops.Result, text string) Message {
	note := applyNote + text
	if res.Status != ops.StatusOK || len(note) > maxFooter {
		m := render(res, diffReserve)
		why := "Nothing was applied. Run the command again to open the form again."
		if res.Status == ops.StatusOK {
			why = "This change is too long to keep for an Apply button; give it as the command's options instead."
		}
		setFirstFooter(&m, why)
		return fit(m)
	}
	m := render(res, diffReserve+len(note))
	setFirstFooter(&m, note)
	apply := button("Apply", discordgo.SuccessButton, text)
	if len(buttonPrefix+text) > maxCustomID {
		apply.CustomID = planApply
	}
	m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		apply,
		discordgo.Button{Label: "Cancel", Style: discordgo.SecondaryButton, CustomID: planCancel},
	}}}
	return fit(m)
}

func setFirstFooter(m *Message, text string) {
	if len(m.Embeds) > 0 {
		m.Embeds[0].Footer = &discordgo.MessageEmbedFooter{Text: text}
	}
}

// planCommand reads the command a plan message's Apply runs.
func planCommand(msg *discordgo.Message) (string, bool) {
	if msg == nil || len(msg.Embeds) == 0 || msg.Embeds[0].Footer == nil {
		return "", false
	}
	text, ok := strings.CutPrefix(msg.Embeds[0].Footer.Text, applyNote)
	return text, ok && text != ""
}

// formButton answers a click on a plan's Apply or Cancel button, and
// reports whether the click was one. Each plan is applied or cancelled at
// most once, whoever clicks and however often.
func (a *Adapter) formButton(ctx context.Context, in *discordgo.Interaction) (*response, bool) {
	if in.Type != discordgo.InteractionMessageComponent {
		return nil, false
	}
	id := in.MessageComponentData().CustomID
	text, ok := planCommand(in.Message)
	if !ok || (id != planApply && id != planCancel && id != buttonPrefix+text) {
		return nil, false
	}
	who := actor(in)
	key := ""
	if in.Message.ID != "" {
		key = "plan:" + in.Message.ID
	}
	if first, err := a.claim(ctx, key); err != nil || !first {
		return reply(ephemeral(RenderText("This plan was already applied or cancelled. Run the command again for a new one."))), true
	}
	if id == planCancel {
		m := newMessage(in.Message.Embeds...)
		setFirstFooter(&m, "Cancelled by "+firstNonEmpty(who.Name, who.ID)+"; nothing was applied.")
		return updateMessage(fit(m)), true
	}
	tok := a.tokenOf(in)
	clicked := msgRef{Channel: firstNonEmpty(in.Message.ChannelID, in.ChannelID), Message: in.Message.ID}
	res, ready := a.within(func(ctx context.Context) ops.Result {
		return a.run.Run(ctx, who, text)
	}, func(ctx context.Context, res ops.Result) {
		a.clickedLate(ctx, tok, clicked, who, text, res)
	})
	if !ready {
		return ackUpdate, true
	}
	a.spawn(func(ctx context.Context) { a.afterResult(ctx, res, who, tok) })
	return reply(resultMessage(res, who, "/"+text)), true
}
