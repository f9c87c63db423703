package discord

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// Handler serves POST /discord/interactions: every interaction Discord
// sends (PING, application commands, autocomplete, button clicks), each
// verified before anything is read from it. Without a public key (gateway
// mode) it refuses everything.
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.key == nil {
			http.Error(w, "Discord interactions reach this bot over the Gateway (discord.mode: gateway); "+
				"set discord.public_key to accept them here too", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, chat.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read the request", http.StatusBadRequest)
			return
		}
		if err := verify(r.Header, body, a.key, a.cfg.Now()); err != nil {
			a.log.Warn("discord: request refused", "reason", err, "remote", r.RemoteAddr)
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		var in discordgo.Interaction
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, "not an interaction", http.StatusBadRequest)
			return
		}
		writeResponse(w, a.interaction(r.Context(), &in))
	})
}

func writeResponse(w http.ResponseWriter, resp *response) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(resp)
}
