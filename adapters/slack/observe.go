package slack

import (
	"context"
	"errors"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// observedAPI tells Config.Observe of every Web API call and how it ended,
// for the metrics.
type observedAPI struct {
	API
	observe func(method string, failed, rateLimited bool)
}

func (o observedAPI) done(method string, err error) {
	var rl *slackgo.RateLimitedError
	o.observe(method, err != nil, errors.As(err, &rl))
}

func (o observedAPI) PostMessageContext(ctx context.Context, ch string, opts ...slackgo.MsgOption) (string, string, error) {
	a, b, err := o.API.PostMessageContext(ctx, ch, opts...)
	o.done("chat.postMessage", err)
	return a, b, err
}

func (o observedAPI) PostEphemeralContext(ctx context.Context, ch, user string, opts ...slackgo.MsgOption) (string, error) {
	a, err := o.API.PostEphemeralContext(ctx, ch, user, opts...)
	o.done("chat.postEphemeral", err)
	return a, err
}

func (o observedAPI) UpdateMessageContext(ctx context.Context, ch, ts string, opts ...slackgo.MsgOption) (string, string, string, error) {
	a, b, c, err := o.API.UpdateMessageContext(ctx, ch, ts, opts...)
	o.done("chat.update", err)
	return a, b, c, err
}

func (o observedAPI) OpenViewContext(ctx context.Context, trigger string, v slackgo.ModalViewRequest) (*slackgo.ViewResponse, error) {
	r, err := o.API.OpenViewContext(ctx, trigger, v)
	o.done("views.open", err)
	return r, err
}

func (o observedAPI) UpdateViewContext(ctx context.Context, v slackgo.ModalViewRequest, externalID, hash, viewID string) (*slackgo.ViewResponse, error) {
	r, err := o.API.UpdateViewContext(ctx, v, externalID, hash, viewID)
	o.done("views.update", err)
	return r, err
}

func (o observedAPI) GetUserGroupsContext(ctx context.Context, opts ...slackgo.GetUserGroupsOption) ([]slackgo.UserGroup, error) {
	r, err := o.API.GetUserGroupsContext(ctx, opts...)
	o.done("usergroups.list", err)
	return r, err
}

func (o observedAPI) GetUserGroupMembersContext(ctx context.Context, group string, opts ...slackgo.GetUserGroupMembersOption) ([]string, error) {
	r, err := o.API.GetUserGroupMembersContext(ctx, group, opts...)
	o.done("usergroups.users.list", err)
	return r, err
}

// Health reports the Slack connection for /healthz: Socket Mode is up only
// while connected; HTTP mode has no connection to lose.
func (a *Adapter) Health() ops.Component {
	if a.cfg.Mode != ModeSocket {
		return ops.Component{Name: "slack", OK: true, Info: "http"}
	}
	if a.connected.Load() {
		return ops.Component{Name: "slack", OK: true, Info: "Socket Mode connected"}
	}
	return ops.Component{Name: "slack", OK: false, Info: "Socket Mode not connected"}
}
