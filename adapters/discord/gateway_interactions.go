package discord

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// onDispatch handles a Gateway event. An interaction is answered as an
// HTTP one is, its response posted to the interaction's callback endpoint
// instead of written to an HTTP response; every other event is ignored.
// It must not block the Gateway's read loop, so the work runs apart.
func (a *Adapter) onDispatch(event string, data json.RawMessage) {
	if event != "INTERACTION_CREATE" {
		return
	}
	var in discordgo.Interaction
	if err := json.Unmarshal(data, &in); err != nil {
		a.log.Warn("discord: an interaction from the Gateway could not be read; it is not answered", "err", err)
		return
	}
	answered := a.callbacks.start(in.Token)
	a.bg.Go(func(ctx context.Context) {
		defer answered()
		actx, cancel := context.WithTimeout(ctx, ackDeadline)
		resp := a.interaction(actx, &in)
		cancel()
		if err := a.api.Callback(ctx, in.ID, in.Token, resp); err != nil {
			// A redelivery after a resume meets an interaction already
			// answered (Discord: 40060); it was applied once all the same.
			a.log.Warn("discord: could not answer an interaction", "interaction", in.ID, "response", int(resp.Type), "err", err)
		}
	})
}

// callbacks tracks the answers on their way to Discord, so that an edit
// or a follow-up through the same interaction token waits for its answer:
// Discord refuses both until the interaction is acknowledged, and a slow
// result's edit can otherwise overtake the deferral it edits.
type callbacks struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*callback // by interaction token
}

type callback struct {
	done chan struct{}
	at   time.Time
}

func newCallbacks(now func() time.Time) *callbacks {
	return &callbacks{now: now, m: map[string]*callback{}}
}

// start records that the answer for token is being made; the function
// returned marks it sent (or failed).
func (c *callbacks) start(token string) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, cb := range c.m {
		if c.now().Sub(cb.at) > interactionTokenLifetime {
			delete(c.m, k)
		}
	}
	if _, ok := c.m[token]; ok { // a redelivery: the first answer counts
		return func() {}
	}
	cb := &callback{done: make(chan struct{}), at: c.now()}
	c.m[token] = cb
	var once sync.Once
	return func() { once.Do(func() { close(cb.done) }) }
}

// wait returns once the answer for token is sent, at once for a token it
// does not know, and gives up after the answer's own budget.
func (c *callbacks) wait(ctx context.Context, token string) {
	c.mu.Lock()
	cb := c.m[token]
	c.mu.Unlock()
	if cb == nil {
		return
	}
	t := time.NewTimer(ackDeadline + apiTimeout)
	defer t.Stop()
	select {
	case <-cb.done:
	case <-ctx.Done():
	case <-t.C:
	}
}

// answeredFirst is the REST client of gateway mode: edits and follow-ups
// through an interaction token wait until the interaction is answered.
type answeredFirst struct {
	API
	callbacks *callbacks
}

func (x answeredFirst) EditOriginal(ctx context.Context, appID, token string, msg *Message) error {
	x.callbacks.wait(ctx, token)
	return x.API.EditOriginal(ctx, appID, token, msg)
}

func (x answeredFirst) Original(ctx context.Context, appID, token string) (string, string, error) {
	x.callbacks.wait(ctx, token)
	return x.API.Original(ctx, appID, token)
}

func (x answeredFirst) Followup(ctx context.Context, appID, token string, msg *Message) error {
	x.callbacks.wait(ctx, token)
	return x.API.Followup(ctx, appID, token, msg)
}
