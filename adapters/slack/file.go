package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxFileBytes is the largest file Slack takes (1 GB).
// https://slack.com/help/articles/201330736-Add-files-to-Slack
const maxFileBytes = 1 << 30

// fileLimits are what chat.FileFor decides against: a document goes as a
// file when its message summarises it, or when it is longer than the
// free text a message shows (maxTextChars), which Render would cut.
var fileLimits = chat.FileLimits{MaxTextChars: maxTextChars, MaxFileBytes: maxFileBytes}

// fileUse is how res goes on Slack.
func fileUse(res ops.Result) chat.FileUse { return chat.FileFor(res, fileLimits) }

// fileNote is the message that says where a result sent as a file went.
func fileNote(res ops.Result, f ops.Attachment, where string) Message {
	return RenderText(fmt.Sprintf(":page_facing_up: `%s` is too long for a message; it is %s as `%s` (%s).",
		escape(res.Operation), where, escape(f.Name), chat.ByteSize(len(f.Content))))
}

// sendFile sends a result that has a document to send (fileUse): the
// document uploaded where the answer goes, and then the answer, which
// is the message as rendered when it summarises the document, or a note
// of where the document went when it is the document's text. A document
// too large for Slack is left out, and the message says so.
func (a *Adapter) sendFile(ctx context.Context, o origin, actor ops.Actor, res ops.Result) {
	vis, use := visibility(res), fileUse(res)
	f := chat.Document(res)
	if use == chat.FileTooLarge {
		a.sendCut(ctx, o, actor, res, vis, fmt.Sprintf(":warning: Its whole answer, `%s` (%s), is larger than Slack takes; `poolvisor exec` on the host prints all of it.",
			escape(f.Name), chat.ByteSize(len(f.Content))))
		return
	}
	where, err := a.upload(ctx, o, res, f, vis)
	if err != nil {
		a.log.Error("slack: could not upload a result's document; sending the message without it", "operation", res.Operation, "err", err)
		a.sendCut(ctx, o, actor, res, vis, fmt.Sprintf(":warning: Its whole answer, `%s`, could not be sent as a file; `poolvisor exec` on the host prints all of it.", escape(f.Name)))
		return
	}
	if use == chat.FileInstead {
		a.send(ctx, o, fileNote(res, f, where), visEphemeral)
		return
	}
	a.sendCut(ctx, o, actor, res, vis, fmt.Sprintf(":page_facing_up: The whole answer is `%s` (%s), %s.", escape(f.Name), chat.ByteSize(len(f.Content)), where))
}

// upload uploads f with files.uploadV2's three steps (UploadFileContext)
// where res's answer goes, and says where that is. Slack has no file that
// one person in a channel sees alone, so an answer for the asker alone (a
// read, like /ops audit or a status across the fleet) goes to their direct
// message with the bot; an answer for the channel is shared there.
// https://docs.slack.dev/messaging/working-with-files#uploading_files
func (a *Adapter) upload(ctx context.Context, o origin, res ops.Result, f ops.Attachment, vis string) (string, error) {
	channel, where := o.Channel, "in this channel"
	if vis != visChannel {
		ch, _, _, err := a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{o.User}})
		if err != nil {
			return "", fmt.Errorf("open a direct message with %s: %w", o.User, err)
		}
		if ch == nil {
			return "", errors.New("open a direct message: no channel")
		}
		channel, where = ch.ID, "in your direct messages with me"
	}
	_, err := a.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Reader: bytes.NewReader(f.Content), FileSize: len(f.Content), Filename: f.Name, Title: f.Name,
		Channel: channel, InitialComment: fmt.Sprintf("%s, as you asked in <#%s>", res.Operation, o.Channel),
	})
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", f.Name, err)
	}
	return where, nil
}

// sendCut posts a result as a message, cut to fit, as deliver would, with
// note (if any) at its end.
func (a *Adapter) sendCut(ctx context.Context, o origin, actor ops.Actor, res ops.Result, vis, note string) {
	msg := Render(res)
	if note != "" { // room for it, and for attribute's line
		msg.Blocks = append(fitBlocks(msg.Blocks, maxMessageBlocks-2), contextText(note))
	}
	if vis == visChannel {
		msg = attribute(msg, o, actor)
	}
	a.send(ctx, o, msg, vis)
}
