package discord

import (
	"context"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// privateMessage is text for one person alone (a new XML-RPC password),
// ephemeral, in a code block so that markdown leaves it as it is.
func privateMessage(p *ops.Private) Message {
	return ephemeral(RenderText("🔐 Only you see this:\n```\n" + p.Text + "\n```"))
}

// hasPrivate reports whether res has text for who alone.
func hasPrivate(res ops.Result, who ops.Actor) bool { return res.Private.For(who) != "" }

// answerPrivately answers an interaction whose result has text for its
// member alone: the answer is ephemeral and holds it with the result; the
// channel gets the result without it in a follow-up, sent once Discord
// has the answer (a follow-up before it is refused).
func (a *Adapter) answerPrivately(res ops.Result, who ops.Actor, typed string, tok token) *response {
	mine := privateMessage(res.Private)
	mine.Embeds = append(Render(res).Embeds, mine.Embeds...)
	public := answer(res, who, typed)
	public.Flags = 0
	a.bg.Go(func(ctx context.Context) {
		a.followupWhenAnswered(ctx, tok, &public)
		a.afterResult(ctx, res, who, tok)
	})
	return reply(fit(mine))
}

// followupWhenAnswered sends m as a follow-up of tok's interaction, trying
// again a few times while the answer it follows may not be there yet.
func (a *Adapter) followupWhenAnswered(ctx context.Context, tok token, m *Message) {
	if err := a.whenAnswered(ctx, func() error { return a.api.Followup(ctx, a.cfg.ApplicationID, tok.Value, m) }); err != nil {
		a.log.Error("discord: could not send a follow-up", "err", err)
	}
}

// whenAnswered makes a webhook call of an interaction (a follow-up, an
// edit of the answer), trying again a few times while Discord may not
// have the answer yet (a deferral just returned over HTTP).
func (a *Adapter) whenAnswered(ctx context.Context, call func() error) error {
	for try := 1; ; try++ {
		err := call()
		if err == nil || try == 3 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try) * 300 * time.Millisecond):
		}
	}
}

// sendPrivate shows a decided request's text for its requester alone,
// never to the approver: through the requester's own interaction (refs
// holds it while its token lasts) as an ephemeral follow-up that only
// they see; once the token has expired (an approval may outlive it), as a
// direct message. A requester on another platform does not get it; it is
// dropped and logged.
func (a *Adapter) sendPrivate(ctx context.Context, res ops.Result, refs []msgRef) {
	p := res.Private
	if p == nil || p.Text == "" {
		return
	}
	if p.To.Platform != "discord" {
		a.log.Warn("discord: text for the requester alone could not be delivered privately; it is dropped",
			"operation", res.Operation, "requester", p.To.String())
		return
	}
	m := privateMessage(p)
	for _, ref := range refs {
		if ref.Token.Value != "" && a.cfg.Now().Before(ref.Token.Expires) {
			err := a.api.Followup(ctx, a.cfg.ApplicationID, ref.Token.Value, &m)
			if err == nil {
				return
			}
			a.log.Warn("discord: could not show the requester their private text in the channel; sending it directly", "err", err)
			break
		}
	}
	m = RenderText("🔐 Only you see this (delete this message once you have kept it):\n```\n" + p.Text + "\n```")
	if err := a.api.DM(ctx, p.To.ID, &m); err != nil {
		a.log.Error("discord: could not send the requester their private text", "requester", p.To.String(), "err", err)
	}
}
