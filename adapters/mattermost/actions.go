package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func (a *Adapter) actionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		var in ActionRequest
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// Verified before anything else is read into a decision: a
		// context poolvisor did not sign runs nothing.
		if err := a.sign.verify(in.ChannelID, in.Context); err != nil {
			a.log.Warn("mattermost: button callback refused", "err", err, "channel", in.ChannelID, "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !idRE.MatchString(in.UserID) || !idRE.MatchString(in.ChannelID) {
			http.Error(w, "bad user_id or channel_id", http.StatusBadRequest)
			return
		}
		writeJSON(w, a.click(r.Context(), in))
	})
}

// click runs a button's command as the clicker and answers: a decision
// replaces the clicked request; anything else is shown to the clicker,
// and posted for the channel when it is a write that ran.
func (a *Adapter) click(ctx context.Context, in ActionRequest) ActionResponse {
	if ok, err := a.claim(ctx, in.TriggerID); err != nil {
		return ActionResponse{EphemeralText: "❌ poolvisor could not record this click (its database failed), so nothing was done. Try again in a moment."}
	} else if !ok {
		return ActionResponse{}
	}
	var (
		actor ops.Actor
		pp    *progressPost // an approved roll draws its steps in a post of its own
	)
	late := func(ctx context.Context, res ops.Result) {
		pp.finish(ctx, actor, res, func(ctx context.Context) { a.clicked(ctx, in, actor, res, true) })
	}
	res, ok := a.within(func(ctx context.Context) ops.Result {
		actor = a.actor(ctx, in.UserID, in.UserName, in.ChannelID)
		var wctx context.Context
		wctx, pp = a.newProgress(ctx, in.ChannelID)
		return a.run.Run(wctx, actor, in.Context.Command)
	}, late)
	if !ok {
		return ActionResponse{EphemeralText: fmt.Sprintf("⏳ Working on %s…", code("/"+truncateRunes(in.Context.Command, 200)))}
	}
	if pp.u.Watched() { // its progress post shows the result
		a.spawn(func(ctx context.Context) { late(ctx, res) })
		return ActionResponse{EphemeralText: "🔄 The run's progress is posted in this channel."}
	}
	return a.clicked(ctx, in, actor, res, false)
}

// clicked answers a click's result: in the action response when it was
// ready in time, else (late) through the REST API.
func (a *Adapter) clicked(ctx context.Context, in ActionRequest, actor ops.Actor, res ops.Result, late bool) ActionResponse {
	if id, ok := chat.Decided(res); ok {
		m := decisionMessage(res, actor)
		resp := ActionResponse{Update: &PostUpdate{Message: m.Text, Props: Props{Attachments: []Attachment{}}}}
		clicked := in.PostID
		if late { // the click's answer is gone: update the post like any other
			clicked = ""
		}
		a.spawn(func(ctx context.Context) { a.updateApproval(ctx, id, res, actor, clicked) })
		return resp
	}
	if isApprovalRequest(res) { // an alert's Restart that needs a second person
		a.spawn(func(ctx context.Context) { a.postApproval(ctx, in.ChannelID, res, nil) })
		return a.tell(ctx, in, late, fmt.Sprintf("⏳ Approval request %s is posted in this channel; an approver decides with its buttons.", code(res.ApprovalID)))
	}
	m := Render(res)
	if visibility(res) == InChannel {
		m.Text += "\n\n_Clicked by " + escape(firstNonEmpty(actor.Name, actor.ID)) + "._"
		p := a.post(in.ChannelID, m)
		p.RootID = in.PostID // in the thread of the alert it answers
		a.spawn(func(ctx context.Context) {
			if _, err := a.api.CreatePost(ctx, p); err != nil {
				a.log.Warn("mattermost: could not post a button's result", "err", err)
			}
		})
		return ActionResponse{}
	}
	if priv := res.Private.For(actor); priv != "" {
		m.Text += "\n\n🔒 Only you see this: " + code(priv)
	}
	return a.tell(ctx, in, late, m.Text)
}

// tell shows text to the clicker alone.
func (a *Adapter) tell(ctx context.Context, in ActionRequest, late bool, text string) ActionResponse {
	if !late {
		return ActionResponse{EphemeralText: text}
	}
	if err := a.api.Ephemeral(ctx, in.UserID, Post{ChannelID: in.ChannelID, Message: text}); err != nil {
		a.log.Warn("mattermost: could not answer a click", "err", err)
	}
	return ActionResponse{}
}
