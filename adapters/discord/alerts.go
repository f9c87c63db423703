package discord

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ chat.AlertMessages = (*Adapter)(nil)

// alertLogChars bounds the log lines an alert shows.
const alertLogChars = maxFieldValue - 16

// alertMessage renders an alert: what is wrong where, the last log lines,
// and a Restart button with custom_id action (none when it is empty),
// which runs the alert's command as the clicking member, through RBAC and
// the approval policy (alertButton). Names, states and
// logs come from outside: they are escaped (markdown, mentions) and the
// message allows no mentions at all.
func alertMessage(a alert.Alert, action string) Message {
	summary := escape(a.Summary())
	e := &discordgo.MessageEmbed{Title: truncate(style.StateMark(a.State)+" "+summary, maxTitle), Color: colourFailed}
	if len(summary)+2 > maxTitle {
		e.Title = truncate(style.StateMark(a.State), maxTitle)
		e.Description = truncate(summary, maxDescription)
	}
	if a.Recovered || a.Kind == alert.KindHeld {
		if a.Recovered {
			e.Title = truncate(style.StateMark("RUNNING")+" "+summary, maxTitle)
			e.Color = colourOK
		}
		return fit(newMessage(e))
	}
	if a.LogTail != "" {
		text, cut := tail(a.LogTail, alertLogChars)
		name := "Last log lines"
		if cut {
			name += " (cut from the top)"
		}
		// Mentions do not work in a code block, and the message allows
		// none; breaking each @ keeps it so should either ever change.
		block, _ := codeBlock(strings.ReplaceAll(text, "@", "@\u200b"), maxFieldValue)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: block})
	}
	if d := a.Pool; d != nil {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Sizing", Value: truncate(style.AdviceLine(*d), maxFieldValue)})
		if slow := style.SlowLine(*d); slow != "" {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Slow log", Value: truncate(slow, maxFieldValue)})
		}
	}
	m := newMessage(e)
	var buttons []discordgo.MessageComponent
	if action != "" {
		label := a.ActionLabel
		if label == "" {
			label = "Restart"
		}
		b := button(label, discordgo.PrimaryButton, "")
		b.CustomID = action
		buttons = append(buttons, b)
	}
	// An Apply advice whose command does not fit a custom_id is left out
	// (the Sizing advice button's answer says how to apply).
	if d := a.Pool; d != nil && d.Apply != "" && len(buttonPrefix+d.Apply) <= maxCustomID {
		buttons = append(buttons, button(alert.ApplyLabel, discordgo.SuccessButton, d.Apply))
	}
	if len(buttons) > 0 {
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
	}
	return fit(m)
}

// alertButton returns the custom_id of al's button: the command itself
// when it fits, else a key to it in the adapter's alertActions; "" (no
// button) when al has no action or it could not be kept.
func (a *Adapter) alertButton(ctx context.Context, al alert.Alert) string {
	if al.Action == "" || al.Recovered || al.Kind == alert.KindHeld {
		return ""
	}
	if id := buttonPrefix + al.Action; len(id) <= maxCustomID {
		return id
	}
	key, err := a.alerts.put(ctx, al.Action)
	if err != nil {
		a.log.Error("discord: could not keep an alert's command for its button; the alert has none", "err", err)
		return ""
	}
	return alertKey + key
}

// alertCommand returns the command kept for an alert button's custom_id,
// and whether customID is one (known or not).
func (a *Adapter) alertCommand(ctx context.Context, customID string) (text string, known, isAlert bool) {
	key, ok := strings.CutPrefix(customID, alertKey)
	if !ok {
		return "", false, false
	}
	text, known = a.alerts.get(ctx, key)
	return text, known, true
}

// SendAlert implements chat.AlertMessages: the alert as a message of ch,
// a reply to message replyTo when that is set.
func (a *Adapter) SendAlert(ctx context.Context, ch, replyTo string, al alert.Alert) (string, string, error) {
	m := alertMessage(al, a.alertButton(ctx, al))
	if replyTo != "" {
		m.Reference = &discordgo.MessageReference{MessageID: replyTo, ChannelID: ch}
	}
	id, err := a.api.Send(ctx, ch, &m)
	return ch, id, err
}

// EditAlert implements chat.AlertMessages.
func (a *Adapter) EditAlert(ctx context.Context, ch, id string, al alert.Alert) error {
	m := alertMessage(al, a.alertButton(ctx, al))
	return a.api.Edit(ctx, ch, id, &m)
}
