package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxCommandChars bounds the text of a post taken as a command: the
// grammar's longest sensible command is far shorter, and a longer post
// gets an error rather than a parse.
const maxCommandChars = 4000

// postedEvent is the data of a "posted" event. The post and the mentions
// are JSON documents inside strings, as the server sends them.
type postedEvent struct {
	Post        string `json:"post"`
	ChannelType string `json:"channel_type"` // "D": a direct message
	Mentions    string `json:"mentions"`
	SenderName  string `json:"sender_name"` // "@alice"
}

// wsPost is a post as the websocket carries it.
type wsPost struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	RootID    string `json:"root_id"`
	Message   string `json:"message"`
	Type      string `json:"type"` // "" for a user's post; system posts have a type
	Props     struct {
		FromBot     any `json:"from_bot"` // "true" (or true) on a bot's post
		FromWebhook any `json:"from_webhook"`
	} `json:"props"`
}

// truthy reads a prop the server sets as the string "true" (older
// servers) or the boolean.
func truthy(v any) bool { return v == true || v == "true" }

// posted takes a new post: when it is addressed to the bot (a direct
// message, or a post that begins with a mention of it) and is not the
// bot's or another bot's, its text runs as a command, as if typed as a
// slash command, and the answer is a reply in the post's thread.
func (a *Adapter) posted(ctx context.Context, me botUser, data json.RawMessage) {
	var ev postedEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		a.log.Warn("mattermost: a posted event that is not JSON", "err", err)
		return
	}
	var p wsPost
	if err := json.Unmarshal([]byte(ev.Post), &p); err != nil {
		a.log.Warn("mattermost: a posted event whose post is not JSON", "err", err)
		return
	}
	if p.UserID == me.ID || truthy(p.Props.FromBot) || truthy(p.Props.FromWebhook) || p.Type != "" {
		return // the bot's own posts, other bots', webhooks' and the system's are never commands
	}
	if !idRE.MatchString(p.ID) || !idRE.MatchString(p.UserID) || !idRE.MatchString(p.ChannelID) || (p.RootID != "" && !idRE.MatchString(p.RootID)) {
		a.log.Warn("mattermost: a posted event with malformed IDs ignored", "post", p.ID)
		return
	}
	text, ok := addressed(ev, p, me)
	if !ok {
		return
	}
	root := p.RootID
	if root == "" {
		root = p.ID
	}
	direct := ev.ChannelType == "D"
	// A slot before the goroutine: a flood of posts waits here, in the
	// read loop, rather than piling up work.
	select {
	case a.ws.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	a.spawn(func(ctx context.Context) {
		defer func() { <-a.ws.slots }()
		if ok, err := a.claim(ctx, "post:"+p.ID); err != nil || !ok {
			return // already taken (or the database failed: Claim logged it)
		}
		a.postCommand(ctx, p, strings.TrimPrefix(ev.SenderName, "@"), text, root, direct)
	})
}

// addressed returns the command text of a post to the bot: a direct
// message's whole text, or the rest of a post that begins with
// @<bot's username>. Any other post is conversation, not for the bot.
func addressed(ev postedEvent, p wsPost, me botUser) (string, bool) {
	text := strings.TrimSpace(p.Message)
	if ev.ChannelType != "D" {
		var mentions []string
		_ = json.Unmarshal([]byte(ev.Mentions), &mentions) // absent or odd: no mention
		if !slices.Contains(mentions, me.ID) || me.Username == "" {
			return "", false
		}
		rest, ok := strings.CutPrefix(text, "@"+me.Username)
		if !ok || (rest != "" && !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, ":") && !strings.HasPrefix(rest, "\n")) {
			return "", false
		}
		text = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
	}
	// "/fpm pools" typed in a message (with a space before it, or sent by
	// the API) reads as the slash command would.
	return strings.TrimPrefix(text, "/"), true
}

// postCommand runs text for the post's author and answers in its thread.
func (a *Adapter) postCommand(ctx context.Context, p wsPost, userName, text, root string, direct bool) {
	reply := func(ctx context.Context, s string) {
		a.reply(ctx, p, root, direct, Message{Text: s})
	}
	switch {
	case utf8.RuneCountInString(text) > maxCommandChars || !utf8.ValidString(text):
		reply(ctx, fmt.Sprintf("❌ That message is too long to be a command (more than %d characters); nothing was done.", maxCommandChars))
		return
	case !isCommand(text):
		if direct {
			reply(ctx, "I take commands like "+code("supervisor status")+", "+code("fpm pools")+" or "+code("ops help")+".")
		}
		return
	}
	if isDialog(text) {
		// A dialog needs the trigger_id of a slash command or a click.
		reply(ctx, "A form opens only from the slash command "+code("/"+text)+"; here, give the values as flags (see "+code(strings.Fields(text)[0]+" help")+").")
		return
	}
	actor := a.actor(ctx, p.UserID, userName, p.ChannelID)
	wctx, pp := a.newProgress(ctx, p.ChannelID)
	res := a.run.Run(wctx, actor, text)
	pp.finish(ctx, actor, res, func(ctx context.Context) {
		if isApprovalRequest(res) {
			a.postApproval(ctx, p.ChannelID, res, nil)
			return
		}
		m, public := Render(res), direct || visibility(res) == InChannel
		if !direct && visibility(res) == InChannel {
			m.Text += "\n\n_Asked by " + escape(firstNonEmpty(actor.Name, actor.ID)) + "._"
		}
		a.reply(ctx, p, root, public, m)
		if private := res.Private.For(actor); private != "" {
			// Never in a stored post, not even a direct message's.
			a.reply(ctx, p, root, false, Message{Text: "🔒 Only you see this: " + code(private)})
		}
		a.followUp(ctx, actor, res)
	})
}

// isCommand reports whether text begins with one of the grammar's first
// words.
func isCommand(text string) bool {
	first, _, _ := strings.Cut(text, " ")
	return slices.Contains(Commands, strings.ToLower(strings.TrimSpace(first)))
}

// reply answers post p in its thread: a post everyone in the channel sees
// when public, else an ephemeral one for its author alone (Mattermost
// shows it in the thread too, and does not store it).
func (a *Adapter) reply(ctx context.Context, p wsPost, root string, public bool, m Message) {
	post := a.post(p.ChannelID, m)
	post.RootID = root
	var err error
	if public {
		_, err = a.api.CreatePost(ctx, post)
	} else {
		err = a.api.Ephemeral(ctx, p.UserID, post)
	}
	if err != nil {
		a.log.Warn("mattermost: could not answer a post", "post", p.ID, "err", err)
	}
}
