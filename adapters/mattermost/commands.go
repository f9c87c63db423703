package mattermost

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxRequestBytes bounds what Mattermost may send in one request.
const maxRequestBytes = 64 << 10

// origin is where a slash command came from, for its late answer.
type origin struct {
	Channel     string
	User        string
	ResponseURL string
}

func (a *Adapter) commandHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		f := r.PostForm
		name, ok := a.commandOf(f.Get("token"))
		if !ok {
			a.log.Warn("mattermost: slash command with a wrong or missing token refused", "command", f.Get("command"), "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !idRE.MatchString(f.Get("user_id")) || !idRE.MatchString(f.Get("channel_id")) {
			http.Error(w, "bad user_id or channel_id", http.StatusBadRequest)
			return
		}
		writeJSON(w, a.command(r.Context(), name, f.Get("text"), f.Get("user_id"), f.Get("user_name"),
			f.Get("trigger_id"), origin{Channel: f.Get("channel_id"), User: f.Get("user_id"), ResponseURL: f.Get("response_url")}))
	})
}

// commandOf finds the command whose token was sent, comparing with every
// configured token in constant time. The command's trigger word is not
// trusted (an admin may name it as they like); its token says which it is.
func (a *Adapter) commandOf(token string) (string, bool) {
	found := ""
	for _, name := range Commands {
		want := a.cfg.CommandTokens[name]
		if want != "" && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1 {
			found = name
		}
	}
	return found, found != ""
}

// command runs a slash command and returns its immediate answer.
func (a *Adapter) command(ctx context.Context, name, args, userID, userName, trigger string, o origin) CommandResponse {
	if ok, err := a.claim(ctx, trigger); err != nil {
		return ephemeralText("❌ poolvisor could not record this request (its database failed), so nothing was done. Try again in a moment.")
	} else if !ok {
		return ephemeralText("This request was already received.")
	}
	text := strings.TrimSpace(name + " " + args)
	if r, ok := a.openDialog(ctx, text, userID, userName, trigger, o); ok {
		return r // the trigger_id lasts seconds: a form opens now, and what it leads to comes with its submission
	}
	var (
		actor ops.Actor
		pp    *progressPost // a run that goes in steps draws them in a post of its own
	)
	res, ok := a.within(func(ctx context.Context) ops.Result {
		actor = a.actor(ctx, userID, userName, o.Channel)
		var wctx context.Context
		wctx, pp = a.newProgress(ctx, o.Channel)
		return a.run.Run(wctx, actor, text)
	}, func(ctx context.Context, res ops.Result) {
		pp.finish(ctx, actor, res, func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
	})
	if !ok {
		return ephemeralText(fmt.Sprintf("⏳ Working on %s…", code("/"+truncateRunes(text, 200))))
	}
	if pp.u.Watched() { // its progress post shows the result
		a.spawn(func(ctx context.Context) {
			pp.finish(ctx, actor, res, func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		})
		return ephemeralText("🔄 The run's progress is posted in this channel.")
	}
	if isApprovalRequest(res) { // a post of the bot's own, so a decision can update it
		a.spawn(func(ctx context.Context) { a.deliver(ctx, o, actor, res) })
		return ephemeralText(fmt.Sprintf("⏳ Approval request %s is posted in this channel; an approver decides with its buttons.", code(res.ApprovalID)))
	}
	if use := chat.FileFor(res, fileLimits); use != chat.NoFile { // files.go
		a.spawn(func(ctx context.Context) {
			a.deliverFile(ctx, o, actor, res, use)
			a.tellPrivate(ctx, o, actor, res)
			a.followUp(ctx, actor, res)
		})
		return ephemeralText(fileAck(use))
	}
	a.spawn(func(ctx context.Context) { a.tellPrivate(ctx, o, actor, res); a.followUp(ctx, actor, res) })
	return a.answer(o, actor, res)
}

// answer is a result as a slash command's answer: for the channel when it
// is a write that ran or a decision, with who asked; else for the asker
// alone. What the result holds for the asker alone is added only when the
// answer is theirs alone.
func (a *Adapter) answer(o origin, actor ops.Actor, res ops.Result) CommandResponse {
	m, vis := Render(res), visibility(res)
	if vis == InChannel {
		m.Text += "\n\n_Asked by " + escape(firstNonEmpty(actor.Name, actor.ID)) + "._"
	} else if p := res.Private.For(actor); p != "" {
		m.Text += "\n\n🔒 Only you see this: " + code(p)
	}
	return CommandResponse{ResponseType: vis, Text: m.Text, Attachments: a.props(o.Channel, m.Buttons).Attachments}
}

// deliver posts a result that was not ready in time, or an approval
// request, where the command was typed.
func (a *Adapter) deliver(ctx context.Context, o origin, actor ops.Actor, res ops.Result) {
	if isApprovalRequest(res) {
		a.postApproval(ctx, o.Channel, res, func(ctx context.Context, m Message) error {
			// The bot may not be in the channel: the request then goes by
			// the response_url, whose buttons still work when clicked.
			r := CommandResponse{ResponseType: InChannel, Text: m.Text, Attachments: a.props(o.Channel, m.Buttons).Attachments}
			return a.api.Respond(ctx, o.ResponseURL, r)
		})
		return
	}
	if use := chat.FileFor(res, fileLimits); use != chat.NoFile { // files.go
		a.deliverFile(ctx, o, actor, res, use)
		a.tellPrivate(ctx, o, actor, res)
		a.followUp(ctx, actor, res)
		return
	}
	if err := a.api.Respond(ctx, o.ResponseURL, a.answer(o, actor, res)); err != nil {
		a.log.Warn("mattermost: could not post a late answer", "err", err)
	}
	a.tellPrivate(ctx, o, actor, res)
	a.followUp(ctx, actor, res)
}

// followUp does what a result asks besides its answer: a decision typed
// as /ops approve replaces the buttons of the request it decided.
func (a *Adapter) followUp(ctx context.Context, actor ops.Actor, res ops.Result) {
	if id, ok := chat.Decided(res); ok {
		a.updateApproval(ctx, id, res, actor, "")
	}
}

// tellPrivate shows what a result holds for the asker alone (a generated
// password) when its answer went to the channel, where answer leaves it
// out: as an ephemeral post, never a stored one. A decision's goes with
// updateApproval.
func (a *Adapter) tellPrivate(ctx context.Context, o origin, actor ops.Actor, res ops.Result) {
	p := res.Private.For(actor)
	if _, decided := chat.Decided(res); p == "" || decided || visibility(res) != InChannel {
		return
	}
	if err := a.api.Ephemeral(ctx, actor.ID, Post{ChannelID: o.Channel, Message: "🔒 Only you see this: " + code(p)}); err != nil {
		a.log.Warn("mattermost: could not tell the asker what is theirs alone", "err", err)
	}
}

// visibility: reads, refusals and plans are for the asker alone; writes
// that ran (ok or failed) and decisions are for the channel, so the team
// sees who changed what.
func visibility(res ops.Result) string {
	if res.Status != ops.StatusOK && res.Status != ops.StatusFailed {
		return Ephemeral
	}
	if ops.KindOf(res.Operation) != ops.Write || res.Operation == "" || view.Decode(res.Data).Plan != nil {
		return Ephemeral
	}
	return InChannel
}

func isApprovalRequest(res ops.Result) bool {
	return res.Status == ops.StatusPending && view.Decode(res.Data).Approval != nil
}

func ephemeralText(s string) CommandResponse {
	return CommandResponse{ResponseType: Ephemeral, Text: s}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// writeJSON answers Mattermost, which reads only application/json.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The connection is gone; Mattermost shows its own timeout.
		return
	}
}
