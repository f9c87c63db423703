package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/names"
	"github.com/poolvisor/poolvisor/adapters/shell"
	"github.com/poolvisor/poolvisor/adapters/socket"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// localRunner is the pipeline as exec and console run it: an approval
// requested there is posted to the chat notify channels, and a decision
// made there replaces the buttons of the request in chat, as if both had
// happened in chat. The chat adapters are built on the first such result
// only, so that other commands start no faster or slower than before.
type localRunner struct {
	*ops.Pipeline
	app *App

	once   sync.Once
	relays []chat.Platform

	// lists are each local user's names for shell completion.
	lists *names.Cache
}

var (
	_ shell.Runner = (*localRunner)(nil)
	_ socket.Namer = (*localRunner)(nil)
)

func (a *App) localRunner() *localRunner {
	return &localRunner{Pipeline: a.Pipeline, app: a, lists: names.NewCache(time.Now)}
}

// Names lists the pools or programs (catalog.PoolList, ProgramList) that
// actor may list, for the shell's completion: read through the pipeline
// as actor (authorized and audited), each list kept names.TTL per user.
func (r *localRunner) Names(ctx context.Context, actor ops.Actor, list string) ([]string, error) {
	// The role may come from the groups (local_groups): the same user
	// with other groups is another key. NUL is in no name.
	key := strings.Join(append([]string{actor.String(), list}, actor.Groups...), "\x00")
	switch list {
	case catalog.PoolList:
		return r.lists.Get(key, func() []string { return names.Pools(ctx, r, actor, "") }), nil
	case catalog.ProgramList:
		return r.lists.Get(key, func() []string { return names.Processes(ctx, r, actor, "") }), nil
	}
	return nil, fmt.Errorf("no list %q", list)
}

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
func (a *App) chatRelays(ctx context.Context) []chat.Platform {
	var out []chat.Platform
	for _, build := range platforms {
		p, err := a.newPlatform(ctx, build)
		if err != nil {
			a.Log.Warn("a chat platform is unavailable: approvals decided here will not update it", "err", err)
		} else if p != nil {
			out = append(out, p)
		}
	}
	return out
}
