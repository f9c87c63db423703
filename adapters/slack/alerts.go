package slack

import (
	"context"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/alert"
)

var _ chat.AlertMessages = (*Adapter)(nil)

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

// SendAlert implements chat.AlertMessages: the alert as a message of ch,
// in the thread of message replyTo when that is set.
func (a *Adapter) SendAlert(ctx context.Context, ch, replyTo string, al alert.Alert) (string, string, error) {
	msg := alertMessage(al)
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)}
	if replyTo != "" {
		opts = append(opts, slackgo.MsgOptionTS(replyTo))
	}
	return a.api.PostMessageContext(ctx, ch, opts...)
}

// EditAlert implements chat.AlertMessages.
func (a *Adapter) EditAlert(ctx context.Context, ch, ts string, al alert.Alert) error {
	msg := alertMessage(al)
	_, _, _, err := a.api.UpdateMessageContext(ctx, ch, ts, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
	return err
}
