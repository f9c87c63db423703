package chat

import (
	"fmt"
	"strings"
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
