package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/adapters/slack"
	"github.com/poolvisor/poolvisor/internal/dedupe"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
)

var _ slack.Runner = hostRunner{}

// newSlack builds the Slack adapter from the config, or returns nil when
// Slack is not enabled.
func (a *App) newSlack(ctx context.Context) (chat.Platform, error) {
	cfg := a.Config.Slack
	if !cfg.Enabled {
		return nil, nil
	}
	claims, err := dedupe.New(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	// Where approval requests were posted is kept in the database, so a
	// decision after a restart still replaces their buttons. A decision
	// made by exec or console (another process) does not.
	where, err := posted.Open(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	// Only the user groups that RBAC binds need looking up.
	groups := []string{}
	for _, b := range a.Config.RBAC.Bindings {
		for _, g := range b.Groups("slack") {
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	sl := slack.New(slack.Config{
		Mode:          cfg.Mode,
		BotToken:      cfg.BotToken,
		AppToken:      cfg.AppToken,
		SigningSecret: cfg.SigningSecret,
		APIURL:        cfg.APIURL,
		NotifyChannel: cfg.NotifyChannel,
		Usergroups:    groups,
		PoolDefaults:  a.slackPoolDefaults(),
		PHPInstances:  phpChoices(a.FPMInstances),
		DefaultPHP:    defaultPHP(a.FPMInstances),
		Observe: func(method string, failed, rateLimited bool) {
			a.Metrics.ChatCall("slack", method, failed, rateLimited)
		},
	}, a.runner(), claims, a.Log.With("adapter", "slack"), slack.WithPosted(where))
	return sl, nil
}

// slackPoolDefaults are what a new pool's form starts with: the default
// PHP-FPM instance's defaults, or the config's where none runs here.
func (a *App) slackPoolDefaults() slack.PoolDefaults {
	if a.FPM != nil {
		c := a.FPM.Config()
		return slack.PoolDefaults{User: c.DefaultUser, Group: c.DefaultGroup}
	}
	return slack.PoolDefaults{User: a.Config.PHPFPM.Defaults.User, Group: a.Config.PHPFPM.Defaults.Group}
}

// phpChoices are the PHP-FPM instances a form offers: none unless this
// host runs several.
func phpChoices(in *phpfpm.Instances) []string {
	if in == nil || !in.Several() {
		return nil
	}
	return in.Names()
}

func defaultPHP(in *phpfpm.Instances) string {
	if in == nil {
		return ""
	}
	return in.Default()
}
