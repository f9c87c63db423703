package app

import (
	"context"
	"fmt"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/adapters/mattermost"
	"github.com/poolvisor/poolvisor/internal/dedupe"
)

// newMattermost builds the Mattermost adapter from the config, or returns
// nil when Mattermost is not enabled.
func (a *App) newMattermost(ctx context.Context) (chat.Platform, error) {
	cfg := a.Config.Mattermost
	if !cfg.Enabled {
		return nil, nil
	}
	claims, err := dedupe.New(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("mattermost: %w", err)
	}
	// Where approval requests were posted is kept in the database, so a
	// decision after a restart still replaces their buttons.
	where, err := posted.Open(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("mattermost: %w", err)
	}
	// Groups are looked up only when RBAC binds some.
	lookup := false
	for _, b := range a.Config.RBAC.Bindings {
		lookup = lookup || len(b.Groups("mattermost")) > 0
	}
	t := cfg.CommandTokens
	mm, err := mattermost.New(mattermost.Config{
		Mode:            cfg.Mode,
		URL:             cfg.URL,
		BotToken:        cfg.BotToken,
		CommandTokens:   map[string]string{"fpm": t.FPM, "supervisor": t.Supervisor, "ops": t.Ops},
		ActionSecret:    cfg.ActionSecret,
		PublicURL:       cfg.PublicURL,
		NotifyChannelID: cfg.NotifyChannelID,
		LookupGroups:    lookup,
		Observe: func(route string, failed, rateLimited bool) {
			a.Metrics.ChatCall("mattermost", route, failed, rateLimited)
		},
	}, a.runner(), claims, a.Log.With("adapter", "mattermost"), mattermost.WithPosted(where))
	if err != nil {
		return nil, err
	}
	return mm, nil
}
