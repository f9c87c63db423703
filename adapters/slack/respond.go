package slack

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// origin is where a request came from and where its answer goes.
type origin struct {
	Channel     string
	User        string
	ResponseURL string
	Command     string // as typed, like "/supervisor stop web"
}

// Visibilities of an answer. Reads, refusals and plans are for the asker
// alone (ephemeral); writes that ran (ok or failed) and decisions are for
// the channel, so the team sees who changed what.
const (
	visEphemeral = slackgo.ResponseTypeEphemeral
	visChannel   = slackgo.ResponseTypeInChannel
)

func visibility(res ops.Result) string {
	if res.Status != ops.StatusOK && res.Status != ops.StatusFailed {
		return visEphemeral
	}
	if ops.KindOf(res.Operation) != ops.Write || res.Operation == "" || view.Decode(res.Data).Plan != nil {
		return visEphemeral
	}
	return visChannel
}

// reply is an immediate answer to a slash command: the HTTP response body
// or the Socket Mode acknowledgement payload.
type reply struct {
	ResponseType string          `json:"response_type,omitempty"`
	Text         string          `json:"text"`
	Blocks       []slackgo.Block `json:"blocks,omitempty"`
}

func ephemeral(m Message) *reply {
	return &reply{ResponseType: visEphemeral, Text: m.Text, Blocks: m.Blocks}
}

// fitsAck reports whether v is small enough to be an immediate answer.
func fitsAck(v any) bool {
	raw, err := json.Marshal(v)
	return err == nil && len(raw) <= maxAckBytes
}

// attribute adds who asked, and what, to a message the channel sees.
func attribute(m Message, o origin, actor ops.Actor) Message {
	note := "Requested by " + mention(actor)
	if o.Command != "" { // as typed, but never a secret typed in it
		note += " · `" + escape(truncate(ops.RedactText(o.Command), 200)) + "`"
	}
	m.Blocks = append(m.Blocks, contextText(note))
	return fit(m)
}

// deliver posts a finished result where it belongs: an approval request to
// the channel (and the notify channel) with its buttons; anything else to
// the asker or the channel, by visibility.
func (a *Adapter) deliver(ctx context.Context, o origin, actor ops.Actor, res ops.Result) {
	if res.Status == ops.StatusPending && view.Decode(res.Data).Approval != nil {
		a.postApproval(ctx, o, res)
		return
	}
	if fileUse(res) != chat.NoFile {
		a.sendFile(ctx, o, actor, res)
		if _, ok := chat.Decided(res); !ok {
			a.sendPrivate(ctx, o, actor, res)
		}
		a.afterDecision(ctx, res, actor)
		return
	}
	msg, vis := Render(res), visibility(res)
	if vis == visChannel {
		msg = attribute(msg, o, actor)
	}
	a.send(ctx, o, msg, vis)
	if _, ok := chat.Decided(res); !ok { // a decision's goes with updateApproval
		a.sendPrivate(ctx, o, actor, res)
	}
	a.afterDecision(ctx, res, actor)
}

// typedSecret reports whether the command as typed holds a secret (a
// --set environment=DB_PASSWORD=...). Slack shows the typed command to the
// channel with an in_channel answer to it, so such an answer goes to the
// channel as a message of its own instead.
func (o origin) typedSecret() bool {
	return ops.RedactText(o.Command) != strings.Join(strings.Fields(o.Command), " ")
}

// send posts msg for origin: to the response_url while it has uses left,
// else with chat.postMessage (channel) or chat.postEphemeral (asker).
func (a *Adapter) send(ctx context.Context, o origin, msg Message, vis string) {
	if o.ResponseURL != "" && !(vis == visChannel && o.typedSecret()) && a.responses.use(o.ResponseURL) {
		_, _, err := a.api.PostMessageContext(ctx, o.Channel, slackgo.MsgOptionResponseURL(o.ResponseURL, vis),
			slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
		if err == nil {
			return
		}
		a.log.Warn("slack: response_url refused the answer; posting it instead", "err", err)
	}
	var err error
	if vis == visChannel {
		_, _, err = a.api.PostMessageContext(ctx, o.Channel, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
	} else {
		_, err = a.api.PostEphemeralContext(ctx, o.Channel, o.User, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
	}
	if err != nil {
		a.log.Error("slack: could not post an answer", "channel", o.Channel, "user", o.User, "err", err)
	}
}

// responseURLs counts the uses of each response_url, so that the sixth
// answer, or one after thirty minutes, goes by the Web API instead.
type responseURLs struct {
	now    func() time.Time
	mu     sync.Mutex
	m      map[string]*urlUse
	pruned time.Time // when forgotten entries were last dropped
}

// maxResponseURLs bounds how many response_urls are remembered: under a
// flood of commands the oldest are forgotten first (a forgotten URL is
// trusted once, then the Web API answers). Each costs about 0.25 KB.
const maxResponseURLs = 20000

type urlUse struct {
	uses    int
	expires time.Time
}

func newResponseURLs(now func() time.Time) *responseURLs {
	return &responseURLs{now: now, m: map[string]*urlUse{}}
}

// seen starts the clock of a response_url when its request arrives.
func (r *responseURLs) seen(url string) {
	if url == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[url]; !ok {
		r.prune(r.now())
		r.m[url] = &urlUse{expires: r.now().Add(responseURLLifetime)}
	}
}

// prune forgets the URLs long dead, at most once a minute, and the oldest
// when there are more than maxResponseURLs.
func (r *responseURLs) prune(now time.Time) {
	if now.Sub(r.pruned) < time.Minute && len(r.m) < maxResponseURLs {
		return
	}
	r.pruned = now
	for k, u := range r.m {
		if now.After(u.expires.Add(time.Hour)) { // long dead: forget it
			delete(r.m, k)
		}
	}
	if over := len(r.m) - maxResponseURLs + maxResponseURLs/10; over > 0 && len(r.m) >= maxResponseURLs {
		oldest := make([]time.Time, 0, len(r.m))
		for _, u := range r.m {
			oldest = append(oldest, u.expires)
		}
		slices.SortFunc(oldest, func(a, b time.Time) int { return a.Compare(b) })
		cutoff := oldest[over-1]
		for k, u := range r.m {
			if !u.expires.After(cutoff) {
				delete(r.m, k)
			}
		}
	}
}

// use takes one use of url and reports whether it had one left.
func (r *responseURLs) use(url string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.prune(now)
	u, ok := r.m[url]
	if !ok {
		// Not seen arrive (a restart since): it may be old, so trust it once.
		u = &urlUse{uses: responseURLUses - 1, expires: now.Add(time.Minute)}
		r.m[url] = u
	}
	if u.uses >= responseURLUses || now.After(u.expires) {
		return false
	}
	u.uses++
	return true
}
