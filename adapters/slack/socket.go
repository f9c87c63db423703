package slack

import (
	"context"
	"log/slog"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Reconnect backoff when the Socket Mode client gives up (it reconnects by
// itself on network errors and on Slack's disconnect requests).
const (
	socketRetryMin = time.Second
	socketRetryMax = time.Minute
)

// runSocket holds the Socket Mode connection until ctx ends. Envelopes are
// handled by the same handlers as HTTP requests, each in its own goroutine,
// and acknowledged with the handler's answer as its payload: at once for
// clicks, within fastAnswer for commands and form submissions.
// https://docs.slack.dev/apis/events-api/using-socket-mode
func (a *Adapter) runSocket(ctx context.Context) error {
	api := slackgo.New(a.cfg.BotToken, clientOptions(a.cfg)...)
	client := socketmode.New(api, socketmode.OptionLog(slogWriter{a.log}))
	go a.socketEvents(ctx, client)
	wait := socketRetryMin
	for {
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		a.log.Error("slack: Socket Mode connection failed; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, socketRetryMax)
	}
}

func (a *Adapter) socketEvents(ctx context.Context, client *socketmode.Client) {
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-client.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnected:
			a.connected.Store(true)
			a.log.Info("slack: Socket Mode connected")
		case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeIncomingError, socketmode.EventTypeDisconnect:
			a.connected.Store(false)
			a.log.Warn("slack: Socket Mode trouble", "event", evt.Type, "data", evt.Data)
		case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
			go a.envelope(ctx, client, evt)
		}
	}
}

// envelope handles one Socket Mode request. A redelivered envelope (same
// envelope_id) is acknowledged again but not applied again.
func (a *Adapter) envelope(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	var payload any
	first, err := a.claim(ctx, "envelope:"+evt.Request.EnvelopeID)
	switch {
	case err != nil:
		if evt.Type == socketmode.EventTypeSlashCommand {
			payload = storeFailed()
		}
	case !first:
	default:
		switch data := evt.Data.(type) {
		case slackgo.SlashCommand:
			payload = a.command(ctx, data)
		case slackgo.InteractionCallback:
			payload = a.interaction(ctx, data)
		}
	}
	if payload == (*reply)(nil) {
		payload = nil
	}
	if err := client.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil && payload != nil {
		a.log.Warn("slack: acknowledgement refused; acknowledging without an answer", "err", err)
		_ = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
	}
}

// slogWriter passes slack-go's log lines to poolvisor's log, at debug level.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Output(_ int, s string) error {
	w.log.Debug("slack-go: " + strings.TrimSpace(s))
	return nil
}
