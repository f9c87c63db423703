package discord

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// msgRef is a posted approval request that can be edited: through the
// interaction token of the response that carries it while that token
// lasts, else by channel and message ID with the bot token.
//
// With WithPosted the token is stored, with the rest, in the embedded
// database. That is acceptable: the database is on this machine in the
// data directory (mode 0700), and a token edits only that one response and
// only for interactionTokenLifetime (15 minutes). Past that, editRef falls
// back to the bot token by channel and message ID, which rememberResponse
// looks up for a response while its token is valid.
type msgRef struct {
	Channel, Message string
	Token            token
}

// approvalMessages remembers where each approval request was posted.
type approvalMessages = posted.Tracker[msgRef]

// postedPlatform names Discord's rows among the posted messages.
const postedPlatform = "discord"

// newApprovalMessages keeps where requests were posted in s, or in memory
// when s is nil.
func newApprovalMessages(s *posted.Store, now func() time.Time) *approvalMessages {
	return posted.New[msgRef](s, postedPlatform, now)
}

// WithPosted keeps where approval requests were posted in s (the embedded
// database), so that a decision after a restart still replaces the buttons
// of every copy, and keeps there the commands of long form plans' Apply
// buttons (planStore) and of long alert buttons (alertActions). Without it
// all are remembered in memory.
func WithPosted(s *posted.Store) Option {
	return func(a *Adapter) {
		a.approvals, a.plans = newApprovalMessages(s, a.cfg.Now), newPlanStore(s, a.cfg.Now)
		a.alerts = newAlertActions(s, a.cfg.Now)
	}
}

// remember records that request id was posted as ref.
func (a *Adapter) remember(ctx context.Context, id string, ref msgRef) {
	if err := a.approvals.Add(ctx, id, ref); err != nil {
		a.log.Warn("discord: a decision will not update this approval request", "channel", ref.Channel, "approval", id, "err", err)
	}
}

// rememberResponse remembers the response that carries request id by its
// token and, so that it can be edited after the token expires (Discord
// lets an approval outlive it: approvals.ttl), by its channel and message
// ID. The response may not be there yet when this runs beside the HTTP
// answer that carries it, so the lookup is tried a few times.
func (a *Adapter) rememberResponse(ctx context.Context, id string, tok token) {
	if tok.Value == "" { // not asked through Discord (Relay)
		return
	}
	ref := msgRef{Token: tok}
	for try := 1; try <= 3 && tok.Value != ""; try++ {
		ch, msg, err := a.api.Original(ctx, a.cfg.ApplicationID, tok.Value)
		if err == nil {
			ref.Channel, ref.Message = ch, msg
			break
		}
		if try == 3 {
			a.log.Info("discord: an approval request is updated by its token only (15 minutes), or when clicked", "approval", id, "err", err)
			break
		}
		select {
		case <-ctx.Done():
			try = 3
		case <-time.After(time.Duration(try) * 300 * time.Millisecond):
		}
	}
	a.remember(ctx, id, ref)
}

// afterResult follows up a result that was answered: an approval request
// is remembered (and copied to the notify channel); a decision typed as
// /ops approve replaces the buttons of the request it decided.
func (a *Adapter) afterResult(ctx context.Context, res ops.Result, by ops.Actor, tok token) {
	if isApprovalRequest(res) {
		id := res.ApprovalID
		a.rememberResponse(ctx, id, tok)
		if ch := a.cfg.NotifyChannelID; ch != "" {
			m := Render(res)
			msgID, err := a.api.Send(ctx, ch, &m)
			if err != nil {
				a.log.Warn("discord: could not post an approval request to the notify channel", "approval", id, "err", err)
				return
			}
			a.remember(ctx, id, msgRef{Channel: ch, Message: msgID})
		}
		return
	}
	if id, ok := chat.Decided(res); ok {
		a.updateApproval(ctx, id, res, by, nil)
	}
}

// decisionMessage is what replaces an approval request once decided: the
// outcome, who decided, and no buttons.
func decisionMessage(res ops.Result, by ops.Actor) Message {
	m := Render(res)
	m.Flags = 0
	m.Components = []discordgo.MessageComponent{}
	if len(m.Embeds) > 0 {
		e := m.Embeds[len(m.Embeds)-1]
		note := "Decided by " + firstNonEmpty(by.Name, by.ID) + " (" + by.String() + ") · the buttons are gone because the request is closed"
		if e.Footer != nil {
			note = e.Footer.Text + "\n" + note
		}
		e.Footer = &discordgo.MessageEmbedFooter{Text: note}
	}
	return fit(m)
}

// updateApproval replaces the buttons of every remembered copy of request
// id, other than the clicked one, with its outcome.
func (a *Adapter) updateApproval(ctx context.Context, id string, res ops.Result, by ops.Actor, clicked *msgRef) {
	m := decisionMessage(res, by)
	refs, err := a.approvals.Take(ctx, id)
	if err != nil {
		a.log.Warn("discord: some copies of an approval request keep their buttons", "approval", id, "err", err)
	}
	// What the approved operation has for its requester alone (a new
	// XML-RPC password) goes to the requester, never to the approver.
	a.sendPrivate(ctx, res, refs)
	for _, ref := range refs {
		if clicked != nil && ref.Message != "" && ref.Message == clicked.Message {
			continue
		}
		a.editRef(ctx, ref, &m)
	}
}

// editRef edits a posted message: by its interaction token while that
// lasts, else with the bot token.
func (a *Adapter) editRef(ctx context.Context, ref msgRef, m *Message) {
	if ref.Token.Value != "" && a.cfg.Now().Before(ref.Token.Expires) {
		if err := a.api.EditOriginal(ctx, a.cfg.ApplicationID, ref.Token.Value, m); err == nil {
			return
		} else if ref.Message == "" {
			a.log.Warn("discord: could not update an approval request", "err", err)
			return
		}
	}
	if ref.Channel == "" || ref.Message == "" {
		a.log.Info("discord: an approval request's token expired; it is updated when clicked")
		return
	}
	if err := a.api.Edit(ctx, ref.Channel, ref.Message, m); err != nil {
		a.log.Warn("discord: could not update an approval request", "channel", ref.Channel, "err", err)
	}
}

// Relay brings into Discord an approval requested or decided by another
// process (poolvisor exec or console, which share serve's data directory):
// a new request is posted, with its buttons, in the notify channel; a
// decision replaces the buttons of every posted copy of its request.
func (a *Adapter) Relay(ctx context.Context, res ops.Result, by ops.Actor) {
	a.afterResult(ctx, res, by, token{})
}
