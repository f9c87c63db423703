package app

import (
	"context"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// platforms are the chat platforms poolvisor can serve. Each builds its
// adapter from its config section, or returns nil when it is not enabled;
// a new platform is one more line here.
var platforms = []func(*App, context.Context) (chat.Platform, error){
	(*App).newSlack,
	(*App).newDiscord,
	(*App).newMattermost,
}

// newPlatform builds one platform and, when it is enabled, registers it as
// an alert notifier (if it has a notify channel) and a health part.
func (a *App) newPlatform(ctx context.Context, build func(*App, context.Context) (chat.Platform, error)) (chat.Platform, error) {
	p, err := build(a, ctx)
	if err != nil || p == nil {
		return nil, err
	}
	if n := p.Alerts(); n != nil {
		a.addNotifier(p.Name(), n)
	}
	a.chatHealth = append(a.chatHealth, p.Health)
	a.addDirect(p)
	return p, nil
}

// newPlatforms builds every platform the config enables.
func (a *App) newPlatforms(ctx context.Context) ([]chat.Platform, error) {
	var out []chat.Platform
	for _, build := range platforms {
		p, err := a.newPlatform(ctx, build)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}
