package app

import (
	"context"
	"fmt"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/adapters/discord"
	"github.com/poolvisor/poolvisor/internal/dedupe"
)

// The runner offers the hub's hosts to the Discord host option.
var (
	_ discord.Fleet  = hostRunner{}
	_ discord.Runner = hostRunner{}
)

// newDiscord builds the Discord adapter from the config, or returns nil when
// Discord is not enabled.
func (a *App) newDiscord(ctx context.Context) (chat.Platform, error) {
	cfg := a.Config.Discord
	if !cfg.Enabled {
		return nil, nil
	}
	claims, err := dedupe.New(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	// Where approval requests were posted is kept in the database, so a
	// decision after a restart still replaces their buttons. A decision
	// made by exec or console (another process) does not.
	where, err := posted.Open(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	dc, err := discord.New(discord.Config{
		Mode:            cfg.Mode,
		BotToken:        cfg.BotToken,
		ApplicationID:   cfg.ApplicationID,
		PublicKey:       cfg.PublicKey,
		GuildIDs:        cfg.GuildIDs,
		APIURL:          cfg.APIURL,
		NotifyChannelID: cfg.NotifyChannelID,
		Observe: func(route string, failed, rateLimited bool) {
			a.Metrics.ChatCall("discord", route, failed, rateLimited)
		},
	}, a.runner(), claims, a.Log.With("adapter", "discord"), discord.WithPosted(where))
	if err != nil {
		return nil, err
	}
	return dc, nil
}
