package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/alert"
)

// AlertRef is the reference alert.Notifier hands back for an alert posted
// as message id in channel ch; ParseAlertRef reads it back.
func AlertRef(ch, id string) string { return ch + "/" + id }

// ParseAlertRef splits a reference made by AlertRef into the channel and
// the message.
func ParseAlertRef(ref string) (ch, id string, err error) {
	ch, id, ok := strings.Cut(ref, "/")
	if !ok {
		return "", "", fmt.Errorf("bad alert reference %q", ref)
	}
	return ch, id, nil
}

// AlertMessages is what a platform does with the messages of alerts: draw
// one and post it, or put it in place of one posted before. Notifier does
// the rest, alike on every platform.
type AlertMessages interface {
	// SendAlert posts al in channel ch, as an answer to message replyTo
	// when that is not empty (a recovery, in the alert's thread), and
	// returns the channel's ID (ch may be a name) and the message's.
	SendAlert(ctx context.Context, ch, replyTo string, al alert.Alert) (chID, id string, err error)
	// EditAlert puts al in place of message id of channel ch.
	EditAlert(ctx context.Context, ch, id string, al alert.Alert) error
}

// Notifier is the alert.Notifier of a platform: alerts go to its notify
// channel, and their references say where each was posted (AlertRef).
type Notifier struct {
	Channel  string
	Messages AlertMessages
}

var _ alert.Notifier = Notifier{}

// NotifierFor is what a platform's Alerts answers: the Notifier of m on
// the notify channel ch, or nil without one.
func NotifierFor(ch string, m AlertMessages) alert.Notifier {
	if ch == "" {
		return nil
	}
	return Notifier{Channel: ch, Messages: m}
}

// PostAlert implements alert.Notifier: the alert goes to the channel.
func (n Notifier) PostAlert(ctx context.Context, al alert.Alert) (string, error) {
	if n.Channel == "" {
		return "", errors.New("post alert: no notify channel is set")
	}
	ch, id, err := n.Messages.SendAlert(ctx, n.Channel, "", al)
	if err != nil {
		return "", fmt.Errorf("post alert: %w", err)
	}
	return AlertRef(ch, id), nil
}

// UpdateAlert implements alert.Notifier: a flapping program's one message
// shows its count and last state.
func (n Notifier) UpdateAlert(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, err := ParseAlertRef(ref)
	if err != nil {
		return err
	}
	if err := n.Messages.EditAlert(ctx, ch, id, al); err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	return nil
}

// PostRecovery implements alert.Notifier: the recovery answers the alert.
func (n Notifier) PostRecovery(ctx context.Context, ref string, al alert.Alert) error {
	ch, id, err := ParseAlertRef(ref)
	if err != nil {
		return err
	}
	if _, _, err := n.Messages.SendAlert(ctx, ch, id, al); err != nil {
		return fmt.Errorf("post recovery: %w", err)
	}
	return nil
}
