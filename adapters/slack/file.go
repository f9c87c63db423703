package slack

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// asFile reports whether a result goes as a file: it is a document
// (ops.Result.Attachment) longer than the free text a message shows
// (maxTextChars), which Render would cut.
func asFile(res ops.Result) bool {
	return res.Attachment != nil && len(res.Attachment.Content) > 0 &&
		utf8.RuneCountInString(res.Message) > maxTextChars
}

// fileNote is the message that says where a result sent as a file went.
func fileNote(res ops.Result, where string) Message {
	f := res.Attachment
	return RenderText(fmt.Sprintf(":page_facing_up: `%s` is too long for a message; it is %s as `%s` (%s).",
		escape(res.Operation), where, escape(f.Name), byteSize(len(f.Content))))
}

func byteSize(n int) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// sendFile uploads a result's document with files.uploadV2's three steps
// (UploadFileContext) where its answer would go. Slack has no file that
// one person in a channel sees alone, so an answer for the asker alone
// (a read, like /ops audit) goes to their direct message with the bot,
// and a short ephemeral note in the channel says so; an answer for the
// channel is shared there. When the upload fails, the cut message goes
// as it would have.
// https://docs.slack.dev/messaging/working-with-files#uploading_files
func (a *Adapter) sendFile(ctx context.Context, o origin, actor ops.Actor, res ops.Result) {
	vis := visibility(res)
	channel := o.Channel
	if vis != visChannel {
		ch, _, _, err := a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{o.User}})
		if err != nil || ch == nil {
			a.log.Error("slack: could not open a direct message for a file; sending the answer cut", "user", o.User, "err", err)
			a.sendCut(ctx, o, actor, res, vis)
			return
		}
		channel = ch.ID
	}
	f := res.Attachment
	_, err := a.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Reader: bytes.NewReader(f.Content), FileSize: len(f.Content), Filename: f.Name, Title: f.Name,
		Channel: channel, InitialComment: fmt.Sprintf("%s, as you asked in <#%s>", res.Operation, o.Channel),
	})
	if err != nil {
		a.log.Error("slack: could not upload a result as a file; sending it cut", "operation", res.Operation, "err", err)
		a.sendCut(ctx, o, actor, res, vis)
		return
	}
	where := "in this channel"
	if vis != visChannel {
		where = "in your direct messages with me"
	}
	a.send(ctx, o, fileNote(res, where), visEphemeral)
}

// sendCut posts a result as a message, cut to fit, as deliver would.
func (a *Adapter) sendCut(ctx context.Context, o origin, actor ops.Actor, res ops.Result, vis string) {
	msg := Render(res)
	if vis == visChannel {
		msg = attribute(msg, o, actor)
	}
	a.send(ctx, o, msg, vis)
}
