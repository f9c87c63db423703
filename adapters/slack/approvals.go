package slack

import (
	"context"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// msgRef is a posted message that chat.update can change.
type msgRef struct {
	Channel, TS string
}

// approvalMessages remembers where each approval request was posted.
type approvalMessages = posted.Tracker[msgRef]

// postedPlatform names Slack's rows among the posted messages.
const postedPlatform = "slack"

// newApprovalMessages keeps where requests were posted in s, or in memory
// when s is nil.
func newApprovalMessages(s *posted.Store, now func() time.Time) *approvalMessages {
	return posted.New[msgRef](s, postedPlatform, now)
}

// WithPosted keeps where approval requests were posted in s (the embedded
// database), so that a decision after a restart still replaces the buttons
// of every copy. Without it they are remembered in memory.
func WithPosted(s *posted.Store) Option {
	return func(a *Adapter) { a.approvals = newApprovalMessages(s, a.cfg.Now) }
}

// postApproval posts a pending request, with its Approve and Deny buttons,
// in the channel where it was asked and in the notify channel, each
// retried when Slack asks to wait.
func (a *Adapter) postApproval(ctx context.Context, o origin, res ops.Result) {
	msg := Render(res)
	id := res.ApprovalID
	channels := []string{o.Channel}
	if nc := a.cfg.NotifyChannel; nc != "" && nc != o.Channel {
		channels = append(channels, nc)
	}
	for i, ch := range channels {
		if ch == "" {
			continue
		}
		ch, ts, err := a.postRetrying(ctx, ch, slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
		if err == nil {
			if err := a.approvals.Add(ctx, id, msgRef{Channel: ch, TS: ts}); err != nil {
				a.log.Warn("slack: a decision will not update this approval request", "channel", ch, "approval", id, "err", err)
			}
			continue
		}
		a.log.Warn("slack: could not post an approval request", "channel", ch, "approval", id, "err", err)
		if i == 0 {
			// The bot is not in this channel: the response_url still reaches it.
			a.send(ctx, origin{Channel: o.Channel, User: o.User, ResponseURL: o.ResponseURL}, msg, visChannel)
		}
	}
}

// decisionMessage is what replaces an approval request once decided.
func decisionMessage(res ops.Result, by ops.Actor) Message {
	msg := Render(res)
	msg.Blocks = append(msg.Blocks, contextText("Decided by "+mention(by)+" · the buttons are gone because the request is closed"))
	return fit(msg)
}

// afterDecision replaces the buttons of every posted copy of a request that
// res decided. A typed /ops approve reaches here as well as a click.
func (a *Adapter) afterDecision(ctx context.Context, res ops.Result, by ops.Actor) {
	if id, ok := chat.Decided(res); ok {
		a.updateApproval(ctx, id, res, by, nil, "")
	}
}

// updateApproval replaces the buttons of request id with its outcome: the
// clicked message first (falling back to its response_url), then every
// other copy posted.
func (a *Adapter) updateApproval(ctx context.Context, id string, res ops.Result, by ops.Actor, clicked *msgRef, responseURL string) {
	refs, err := a.approvals.Take(ctx, id)
	if err != nil {
		a.log.Warn("slack: some copies of an approval request keep their buttons", "approval", id, "err", err)
	}
	if clicked != nil {
		refs = append([]msgRef{*clicked}, refs...)
	}
	// What the approved operation has for its requester alone (a new
	// XML-RPC password) goes to the requester, never to the approver.
	a.sendPrivate(ctx, origin{}, by, res)
	msg := decisionMessage(res, by)
	seen := map[msgRef]bool{}
	for i, ref := range refs {
		if seen[ref] || ref.TS == "" {
			continue
		}
		seen[ref] = true
		err := a.updateRetrying(ctx, ref.Channel, ref.TS,
			slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...))
		if err == nil {
			continue
		}
		a.log.Warn("slack: could not update an approval request", "channel", ref.Channel, "approval", id, "err", err)
		if i == 0 && clicked != nil && responseURL != "" && a.responses.use(responseURL) {
			if _, _, err := a.api.PostMessageContext(ctx, ref.Channel, slackgo.MsgOptionReplaceOriginal(responseURL),
				slackgo.MsgOptionText(msg.Text, false), slackgo.MsgOptionBlocks(msg.Blocks...)); err != nil {
				a.log.Error("slack: could not replace an approval request", "approval", id, "err", err)
			}
		}
	}
}

// Relay brings into Slack an approval requested or decided by another
// process (poolvisor exec or console, which share serve's data directory):
// a new request is posted, with its buttons, in the notify channel; a
// decision replaces the buttons of every posted copy of its request.
func (a *Adapter) Relay(ctx context.Context, res ops.Result, by ops.Actor) {
	if res.Status == ops.StatusPending && res.ApprovalID != "" {
		if view.Decode(res.Data).Approval == nil {
			return // a request asked again: its copies were posted when it was made
		}
		if nc := a.cfg.NotifyChannel; nc != "" {
			a.postApproval(ctx, origin{Channel: nc}, res)
		}
		return
	}
	a.afterDecision(ctx, res, by)
}
