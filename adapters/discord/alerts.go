package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ alert.Notifier = (*Adapter)(nil)

// alertLogChars bounds the log lines an alert shows.
const alertLogChars = maxFieldValue - 16

// alertMessage renders an alert: what is wrong where, the last log lines,
// and a Restart button whose custom_id is the command it runs, as the
// clicking member, through RBAC and the approval policy.
func alertMessage(a alert.Alert) Message {
	e := &discordgo.MessageEmbed{Title: truncate(stateMark(a.State)+" "+a.Summary(), maxTitle), Color: colourFailed}
	if a.Recovered {
		e.Title = truncate(stateMark("RUNNING")+" "+a.Summary(), maxTitle)
		e.Color = colourOK
		return fit(newMessage(e))
	}
	if a.LogTail != "" {
		text, cut := tail(a.LogTail, alertLogChars)
		name := "Last log lines"
		if cut {
			name += " (cut from the top)"
		}
		block, _ := codeBlock(text, maxFieldValue)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: block})
	}
	m := newMessage(e)
	if a.Action != "" && len(buttonPrefix+a.Action) <= maxCustomID {
		label := a.ActionLabel
		if label == "" {
			label = "Restart"
		}
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			button(label, discordgo.PrimaryButton, a.Action),
		}}}
	}
	return fit(m)
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
	return ch + "/" + id, nil
}

// UpdateAlert implements alert.Notifier: a flapping program's one message
// shows its count and last state.
func (a *Adapter) UpdateAlert(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, ok := strings.Cut(ref, "/")
	if !ok {
		return fmt.Errorf("bad alert reference %q", ref)
	}
	m := alertMessage(al)
	if err := a.api.Edit(ctx, ch, id, &m); err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	return nil
}

// PostRecovery implements alert.Notifier: the recovery replies to the alert.
func (a *Adapter) PostRecovery(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, ok := strings.Cut(ref, "/")
	if !ok {
		return fmt.Errorf("bad alert reference %q", ref)
	}
	m := alertMessage(al)
	m.Reference = &discordgo.MessageReference{MessageID: id, ChannelID: ch}
	if _, err := a.api.Send(ctx, ch, &m); err != nil {
		return fmt.Errorf("post recovery: %w", err)
	}
	return nil
}
