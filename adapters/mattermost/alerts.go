package mattermost

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
	"github.com/poolvisor/poolvisor/internal/alert"
)

// alertLogChars bounds the log lines an alert shows.
const alertLogChars = 3000

// alertMessage renders an alert: what is wrong where, the last log lines,
// and a Restart button that runs the alert's command as the clicker,
// through RBAC and the approval policy. Names, states and logs come from
// outside: they are escaped, and in a code block a mention notifies no one.
func alertMessage(a alert.Alert) Message {
	mark := style.StateMark(a.State)
	if a.Recovered {
		mark = style.StateMark("RUNNING")
	}
	m := Message{Text: mark + " " + escape(a.Summary())}
	if a.Recovered || a.Kind == alert.KindHeld {
		return m
	}
	if a.LogTail != "" {
		text, cut := textfit.Tail(a.LogTail, alertLogChars)
		head := "Last log lines"
		if cut {
			head += " (cut from the top)"
		}
		m.Text += "\n\n" + head + ":\n```text\n" + codeSafe(strings.TrimRight(text, "\n")) + "\n```"
	}
	if a.Action != "" {
		m.Buttons = []Button{{Label: firstNonEmpty(a.ActionLabel, "Restart"), Style: "primary", Command: a.Action}}
	}
	return m
}

// PostAlert implements alert.Notifier: the alert goes to notify_channel_id.
func (a *Adapter) PostAlert(ctx context.Context, al alert.Alert) (string, error) {
	ch := a.cfg.NotifyChannelID
	if ch == "" {
		return "", errors.New("mattermost.notify_channel_id is not set")
	}
	id, err := a.api.CreatePost(ctx, a.post(ch, alertMessage(al)))
	if err != nil {
		return "", fmt.Errorf("post alert: %w", err)
	}
	return chat.AlertRef(ch, id), nil
}

// UpdateAlert implements alert.Notifier: a flapping program's one post
// shows its count and last state.
func (a *Adapter) UpdateAlert(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, err := chat.ParseAlertRef(ref)
	if err != nil {
		return err
	}
	p := a.post(ch, alertMessage(al))
	p.ID = id
	if err := a.api.UpdatePost(ctx, p); err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	return nil
}

// PostRecovery implements alert.Notifier: the recovery replies in the
// alert's thread.
func (a *Adapter) PostRecovery(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, err := chat.ParseAlertRef(ref)
	if err != nil {
		return err
	}
	p := a.post(ch, alertMessage(al))
	p.RootID = id
	if _, err := a.api.CreatePost(ctx, p); err != nil {
		return fmt.Errorf("post recovery: %w", err)
	}
	return nil
}
