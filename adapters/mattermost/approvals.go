package mattermost

import (
	"context"
	"strings"
	"unicode"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// postRef is a posted approval request: a post of the bot's own, which
// it may update.
type postRef struct {
	Channel, Post string
}

// postedPlatform names Mattermost's rows among the posted messages.
const postedPlatform = "mattermost"

// props are the buttons of a post in channel as one attachment's actions,
// each calling the actions endpoint with its command signed for that
// channel. A post without buttons has an empty list, so that an update
// takes the old ones away.
func (a *Adapter) props(channel string, buttons []Button) *Props {
	p := &Props{Attachments: []Attachment{}}
	if len(buttons) == 0 || a.actionURL == "" { // websocket mode without public_url: no one to call back
		return p
	}
	att := Attachment{Fallback: "Buttons: " + buttons[0].Label}
	for _, b := range buttons {
		att.Actions = append(att.Actions, Action{
			ID: actionID(b.Label), Name: b.Label, Type: "button", Style: b.Style,
			Integration: Integration{URL: a.actionURL, Context: a.sign.context(channel, b.Command)},
		})
	}
	p.Attachments = append(p.Attachments, att)
	return p
}

// actionID is a button's id: Mattermost takes letters and digits only.
func actionID(label string) string {
	id := strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToLower(r)
		}
		return -1
	}, label)
	if id == "" {
		return "action"
	}
	return id
}

// post is m as a post of the bot in channel.
func (a *Adapter) post(channel string, m Message) Post {
	return Post{ChannelID: channel, Message: m.Text, Props: *a.props(channel, m.Buttons)}
}

// postApproval posts an approval request in channel (or, when the bot
// cannot post there, with fallback) and in the notify channel, and
// remembers every post so that the decision replaces their buttons.
func (a *Adapter) postApproval(ctx context.Context, channel string, res ops.Result, fallback func(context.Context, Message) error) {
	if a.remembered != nil {
		defer func() { a.remembered <- res.ApprovalID }()
	}
	m := Render(res)
	id, err := a.api.CreatePost(ctx, a.post(channel, m))
	switch {
	case err == nil:
		a.remember(ctx, res.ApprovalID, postRef{Channel: channel, Post: id})
	case fallback != nil:
		a.log.Info("mattermost: could not post an approval request as the bot (is it in the channel?); answering the command instead", "channel", channel, "err", err)
		if err := fallback(ctx, m); err != nil {
			a.log.Warn("mattermost: could not post an approval request", "approval", res.ApprovalID, "err", err)
		}
	default:
		a.log.Warn("mattermost: could not post an approval request", "channel", channel, "approval", res.ApprovalID, "err", err)
	}
	if ch := a.cfg.NotifyChannelID; ch != "" && ch != channel {
		id, err := a.api.CreatePost(ctx, a.post(ch, m))
		if err != nil {
			a.log.Warn("mattermost: could not post an approval request to the notify channel", "approval", res.ApprovalID, "err", err)
			return
		}
		a.remember(ctx, res.ApprovalID, postRef{Channel: ch, Post: id})
	}
}

func (a *Adapter) remember(ctx context.Context, id string, ref postRef) {
	if err := a.approvals.Add(ctx, id, ref); err != nil {
		a.log.Warn("mattermost: a decision will not update this approval request", "approval", id, "err", err)
	}
}

// decisionMessage replaces an approval request once decided: the outcome,
// who decided, and no buttons.
func decisionMessage(res ops.Result, by ops.Actor) Message {
	m := Render(res)
	m.Buttons = nil
	m.Text += "\n\n_Decided by " + escape(firstNonEmpty(by.Name, by.ID)) + " (" + escape(by.String()) + "); the buttons are gone because the request is closed._"
	return m
}

// updateApproval replaces the buttons of every remembered post of request
// id, but the clicked one (which the click's answer updates), with its
// outcome. What the approved operation has for its requester alone goes
// to the requester, never to the approver.
func (a *Adapter) updateApproval(ctx context.Context, id string, res ops.Result, by ops.Actor, clicked string) {
	m := decisionMessage(res, by)
	refs, err := a.approvals.Take(ctx, id)
	if err != nil {
		a.log.Warn("mattermost: some posts of an approval request keep their buttons", "approval", id, "err", err)
	}
	if p := res.Private; p != nil && p.To.Platform == "mattermost" && p.Text != "" && len(refs) > 0 {
		note := Post{ChannelID: refs[0].Channel, Message: "🔒 Only you see this, from your approved request " + code(id) + ": " + code(p.Text)}
		if err := a.api.Ephemeral(ctx, p.To.ID, note); err != nil {
			a.log.Warn("mattermost: could not tell the requester what is theirs alone", "approval", id, "err", err)
		}
	}
	for _, ref := range refs {
		if ref.Post == clicked {
			continue
		}
		p := a.post(ref.Channel, m)
		p.ID = ref.Post
		if err := a.api.UpdatePost(ctx, p); err != nil {
			a.log.Warn("mattermost: could not update an approval request", "channel", ref.Channel, "err", err)
		}
	}
}

// Relay brings into Mattermost an approval requested or decided by
// another process (poolvisor exec or console): a new request is posted,
// with its buttons, in the notify channel; a decision replaces the
// buttons of every post of its request.
func (a *Adapter) Relay(ctx context.Context, res ops.Result, by ops.Actor) {
	if isApprovalRequest(res) {
		if ch := a.cfg.NotifyChannelID; ch != "" {
			a.postApproval(ctx, ch, res, nil)
		}
		return
	}
	if id, ok := chat.Decided(res); ok {
		a.updateApproval(ctx, id, res, by, "")
	}
}
