package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// CommandsHandler serves POST /slack/commands: slash commands.
func (a *Adapter) CommandsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.readVerified(w, r) {
			return
		}
		sc, err := slackgo.SlashCommandParse(r)
		if err != nil {
			http.Error(w, "not a slash command", http.StatusBadRequest)
			return
		}
		writeReply(w, a.command(r.Context(), sc))
	})
}

// InteractionsHandler serves POST /slack/interactions: button clicks
// (block_actions) and modal submissions (view_submission).
func (a *Adapter) InteractionsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.readVerified(w, r) {
			return
		}
		cb, err := slackgo.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, "not an interaction payload", http.StatusBadRequest)
			return
		}
		writeReply(w, a.interaction(r.Context(), cb))
	})
}

// readVerified reads the body (up to chat.MaxBodyBytes) and checks its
// signature. On failure it has answered (413 or 401) and returns false; on
// success the body is back in r for parsing.
func (a *Adapter) readVerified(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, chat.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return false
		}
		http.Error(w, "could not read the request", http.StatusBadRequest)
		return false
	}
	if err := verify(r.Header, body, a.cfg.SigningSecret, a.cfg.Now()); err != nil {
		a.log.Warn("slack: request refused", "path", r.URL.Path, "reason", err, "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return false
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		a.log.Info("slack: retried delivery", "path", r.URL.Path, "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// writeReply writes an immediate answer: empty for nil, else JSON.
func writeReply(w http.ResponseWriter, v any) {
	if v == nil || v == (*reply)(nil) {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
