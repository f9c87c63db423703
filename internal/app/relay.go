package app

import (
	"context"
	"sync"

	"github.com/poolvisor/poolvisor/adapters/discord"
	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/slack"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// relayer brings an approval requested or decided outside chat into a chat
// platform (the Slack and Discord adapters).
type relayer interface {
	Relay(ctx context.Context, res ops.Result, by ops.Actor)
}

// localRunner is the pipeline as exec and console run it: an approval
// requested there is posted to the chat notify channels, and a decision
// made there replaces the buttons of the request in chat, as if both had
// happened in chat. The chat adapters are built on the first such result
// only, so that other commands start no faster or slower than before.
type localRunner struct {
	*ops.Pipeline
	app *App

	once   sync.Once
	relays []relayer
}

var (
	_ shell.Runner = (*localRunner)(nil)
	_ relayer      = (*slack.Adapter)(nil)
	_ relayer      = (*discord.Adapter)(nil)
)

func (a *App) localRunner() *localRunner { return &localRunner{Pipeline: a.Pipeline, app: a} }

// Run runs text, then relays the result when it is an approval request or
// decision.
func (r *localRunner) Run(ctx context.Context, actor ops.Actor, text string) ops.Result {
	res := r.Pipeline.Run(ctx, actor, text)
	if res.Operation != "ops.approve" && !(res.Status == ops.StatusPending && res.ApprovalID != "") {
		return res
	}
	r.once.Do(func() { r.relays = r.app.chatRelays(ctx) })
	for _, rl := range r.relays {
		rl.Relay(ctx, res, actor)
	}
	return res
}

// chatRelays builds the chat adapters the config enables, without
// connecting them, to edit and post messages through their APIs.
func (a *App) chatRelays(ctx context.Context) []relayer {
	var out []relayer
	if sl, err := a.newSlack(ctx); err != nil {
		a.Log.Warn("slack: approvals decided here will not update Slack", "err", err)
	} else if sl != nil {
		out = append(out, sl)
	}
	if dc, err := a.newDiscord(ctx); err != nil {
		a.Log.Warn("discord: approvals decided here will not update Discord", "err", err)
	} else if dc != nil {
		out = append(out, dc)
	}
	return out
}
