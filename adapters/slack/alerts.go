package slack

import (
	"context"
	"errors"
	"fmt"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ alert.Notifier = (*Adapter)(nil)

// actionRestart is the alert's Restart button; like every poolvisor button
// its value is the command it runs, as the clicking user, through RBAC and
// the approval policy.
const actionRestart = actionPrefix + "alert-restart"

// actionApplyAdvice is a saturation alert's "Apply advice" button: its
// value is /fpm tune NAME --apply, a write the clicking user's request
// plans and sends for approval like any typed one.
const actionApplyAdvice = actionPrefix + "alert-apply"

// alertLogChars bounds the log lines an alert shows.
const alertLogChars = maxSectionText - 200

// alertMessage renders an alert: what is wrong where, the last log lines,
// and a Restart button.
//
// Every piece of it that comes from outside (program, host, state, log)
// is escaped in every field, the top-level text included: that text is
// what notifications and clients without blocks show, and Slack reads it
// as mrkdwn too, so a process named "<!channel>" would ping everyone.
func alertMessage(a alert.Alert) Message {
	summary := escape(a.Summary())
	text := style.StateMark(a.State) + " " + summary
	if a.Recovered || a.Kind == alert.KindHeld {
		return Message{Text: truncate(summary, maxFallbackText), Blocks: []slackgo.Block{
			slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, truncate(text, maxSectionText), false, false), nil, nil),
		}}
	}
	blocks := []slackgo.Block{
		slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, truncate(text, maxSectionText), false, false), nil, nil),
	}
	if a.LogTail != "" {
		logText, cut := tail(a.LogTail, alertLogChars)
		head := "Last log lines:"
		if cut {
			head = "Last log lines (cut from the top):"
		}
		blocks = append(blocks, slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType,
			head+"\n```"+codeSafe(logText)+"```", false, false), nil, nil))
	}
	if d := a.Pool; d != nil {
		lines := style.AdviceLine(*d)
		if slow := style.SlowLine(*d); slow != "" {
			lines += "\n" + slow
		}
		blocks = append(blocks, slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType,
			truncate(lines, maxSectionText), false, false), nil, nil))
	}
	var buttons []slackgo.BlockElement
	if a.Action != "" && len(a.Action) <= maxButtonValue {
		label := a.ActionLabel
		if label == "" {
			label = "Restart"
		}
		buttons = append(buttons, slackgo.NewButtonBlockElement(actionRestart, a.Action, plain(truncate(label, maxButtonText))))
	}
	if d := a.Pool; d != nil && d.Apply != "" && len(d.Apply) <= maxButtonValue {
		apply := slackgo.NewButtonBlockElement(actionApplyAdvice, d.Apply, plain(alert.ApplyLabel))
		apply.Style = slackgo.StylePrimary
		buttons = append(buttons, apply)
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slackgo.NewActionBlock("", buttons...))
	}
	return Message{Text: truncate(summary, maxFallbackText), Blocks: blocks}
}

// PostAlert implements alert.Notifier: the alert goes to notify_channel.
func (a *Adapter) PostAlert(ctx context.Context, al alert.Alert) (string, error) {
	if a.cfg.NotifyChannel == "" {
		return "", errors.New("slack.notify_channel is not set")
	}
	msg := alertMessage(al)
	ch, ts, err := a.api.PostMessageContext(ctx, a.cfg.NotifyChannel, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
	if err != nil {
		return "", fmt.Errorf("post alert: %w", err)
	}
	return chat.AlertRef(ch, ts), nil
}

// UpdateAlert implements alert.Notifier: a flapping program's one message
// shows its count and last state.
func (a *Adapter) UpdateAlert(ctx context.Context, ref string, al alert.Alert) error {
	ch, ts, err := chat.ParseAlertRef(ref)
	if err != nil {
		return err
	}
	msg := alertMessage(al)
	if _, _, _, err := a.api.UpdateMessageContext(ctx, ch, ts, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)); err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	return nil
}

// PostRecovery implements alert.Notifier: the recovery answers the alert in
// its thread.
func (a *Adapter) PostRecovery(ctx context.Context, ref string, al alert.Alert) error {
	ch, ts, err := chat.ParseAlertRef(ref)
	if err != nil {
		return err
	}
	msg := alertMessage(al)
	if _, _, err := a.api.PostMessageContext(ctx, ch, slackgo.MsgOptionTS(ts), slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)); err != nil {
		return fmt.Errorf("post recovery: %w", err)
	}
	return nil
}
