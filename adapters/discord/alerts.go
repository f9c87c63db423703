package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ alert.Notifier = (*Adapter)(nil)

// alertLogChars bounds the log lines an alert shows.
const alertLogChars = maxFieldValue - 16

// alertActionID is the custom_id of an alert's button when its command is
// too long for one (a GROUP:PROCESS name of 64 characters each, a host):
// the command is then in the embed's footer, after alertActionNote, which
// only the bot can write.
const (
	alertActionID   = buttonPrefix + "alert:action"
	alertActionNote = "The button runs: /"
)

// alertMessage renders an alert: what is wrong where, the last log lines,
// and a Restart button whose custom_id is the command it runs, as the
// clicking member, through RBAC and the approval policy. Names, states and
// logs come from outside: they are escaped (markdown, mentions) and the
// message allows no mentions at all.
func alertMessage(a alert.Alert) Message {
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
	if a.Action != "" && len(alertActionNote+a.Action) <= maxFooter {
		label := a.ActionLabel
		if label == "" {
			label = "Restart"
		}
		b := button(label, discordgo.PrimaryButton, a.Action)
		if len(buttonPrefix+a.Action) > maxCustomID {
			b.CustomID = alertActionID
			e.Footer = &discordgo.MessageEmbedFooter{Text: alertActionNote + a.Action}
		}
		buttons = append(buttons, b)
	}
	// The footer holds one long command only: an Apply advice whose
	// command does not fit a custom_id is left out, and the Sizing advice
	// button's answer says how to apply.
	if d := a.Pool; d != nil && d.Apply != "" && len(buttonPrefix+d.Apply) <= maxCustomID {
		buttons = append(buttons, button(alert.ApplyLabel, discordgo.SuccessButton, d.Apply))
	}
	if len(buttons) > 0 {
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
	}
	return fit(m)
}

// alertCommand reads the command of an alert's button from the footer of
// the clicked message, for a command too long for a custom_id.
func alertCommand(msg *discordgo.Message) (string, bool) {
	if msg == nil || len(msg.Embeds) == 0 || msg.Embeds[0].Footer == nil {
		return "", false
	}
	text, ok := strings.CutPrefix(msg.Embeds[0].Footer.Text, alertActionNote)
	return text, ok && text != ""
}

// PostAlert implements alert.Notifier: the alert goes to notify_channel_id.
func (a *Adapter) PostAlert(ctx context.Context, al alert.Alert) (string, error) {
	ch := a.cfg.NotifyChannelID
	if ch == "" {
		return "", errors.New("discord.notify_channel_id is not set")
	}
	m := alertMessage(al)
	id, err := a.api.Send(ctx, ch, &m)
	if err != nil {
		return "", fmt.Errorf("post alert: %w", err)
	}
	return chat.AlertRef(ch, id), nil
}

// UpdateAlert implements alert.Notifier: a flapping program's one message
// shows its count and last state.
func (a *Adapter) UpdateAlert(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, err := chat.ParseAlertRef(ref)
	if err != nil {
		return err
	}
	m := alertMessage(al)
	if err := a.api.Edit(ctx, ch, id, &m); err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	return nil
}

// PostRecovery implements alert.Notifier: the recovery replies to the alert.
func (a *Adapter) PostRecovery(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, err := chat.ParseAlertRef(ref)
	if err != nil {
		return err
	}
	m := alertMessage(al)
	m.Reference = &discordgo.MessageReference{MessageID: id, ChannelID: ch}
	if _, err := a.api.Send(ctx, ch, &m); err != nil {
		return fmt.Errorf("post recovery: %w", err)
	}
	return nil
}
