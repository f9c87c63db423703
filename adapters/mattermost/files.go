package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Files: a result's document (ops.Result.Attachment) goes as a file with
// its message when the message summarises it (a fleet answer across many
// hosts), and in place of a message that would be cut (a long audit
// export). Mattermost takes a file in two steps: it is uploaded to a
// channel (POST /api/v4/files), and a post in that channel names it in
// file_ids. A slash command's answer cannot carry files, and an ephemeral
// post is not stored, so a file for the asker alone goes to their direct
// messages with the bot, and one for the channel in a post of the bot's.
// https://api.mattermost.com/#tag/files/operation/UploadFile

const (
	// maxFileBytes is the largest file Mattermost takes by default
	// (FileSettings.MaxFileSize, 100 MB; a server may set less, and then
	// refuses the upload, which sends the message without the file).
	// https://docs.mattermost.com/configure/environment-configuration-settings.html#maximum-file-size
	maxFileBytes = 100 << 20

	// maxTextChars is the longest text of a result that goes as a post:
	// rendering escapes Markdown, which at most doubles a character, so
	// up to this much always fits in maxPostChars; a longer document goes
	// as a file.
	maxTextChars = maxPostChars / 2
)

var fileLimits = chat.FileLimits{MaxTextChars: maxTextChars, MaxFileBytes: maxFileBytes}

// FileAPI is the part of the REST API that sends files. The REST client
// has it; an API without it (a test's) answers without files.
type FileAPI interface {
	// UploadFile uploads f to a channel and returns its file ID.
	UploadFile(ctx context.Context, channelID string, f ops.Attachment) (string, error)
	// CreatePostWithFiles posts p with files uploaded to its channel and
	// returns its ID.
	CreatePostWithFiles(ctx context.Context, p Post, fileIDs []string) (string, error)
	// DirectChannel returns the channel of the bot's direct messages with
	// a user, creating it if need be.
	DirectChannel(ctx context.Context, userID string) (string, error)
}

var _ FileAPI = (*restClient)(nil)

// deliverFile answers a command whose result has a document to send
// (use, of chat.FileFor), where and as answer would, in the background:
// uploads take longer than a slash command's answer may.
func (a *Adapter) deliverFile(ctx context.Context, o origin, actor ops.Actor, res ops.Result, use chat.FileUse) {
	ans := a.answer(o, actor, res)
	f := chat.Document(res)
	size := chat.ByteSize(len(f.Content))
	if use == chat.FileTooLarge {
		ans.Text = withPostNote(ans.Text, fmt.Sprintf("⚠️ The whole answer, %s (%s), is larger than Mattermost takes; `poolvisor exec` on the host prints all of it.", code(f.Name), size))
		a.respondOrPost(ctx, o, ans)
		return
	}
	fa, ok := a.api.(FileAPI)
	if !ok {
		ans.Text = withPostNote(ans.Text, "⚠️ The whole answer could not be sent as a file; `poolvisor exec` on the host prints all of it.")
		a.respondOrPost(ctx, o, ans)
		return
	}
	text := ans.Text
	if use == chat.FileInstead {
		text = fmt.Sprintf("📄 %s is too long for a post; it is attached as %s (%s).", code(res.Operation), code(f.Name), size)
		if ans.ResponseType == InChannel {
			text += "\n\n_Asked by " + escape(firstNonEmpty(actor.Name, actor.ID)) + "._"
		}
	}
	if ans.ResponseType == InChannel {
		_, err := a.postFile(ctx, fa, Post{ChannelID: o.Channel, Message: text}, f)
		if err == nil {
			return
		}
		a.log.Warn("mattermost: could not post a result with its file; answering without it", "operation", res.Operation, "err", err)
		ans.Text = withPostNote(ans.Text, fmt.Sprintf("⚠️ The whole answer, %s, could not be attached here; `poolvisor exec` on the host prints all of it.", code(f.Name)))
		a.respondOrPost(ctx, o, ans)
		return
	}
	dm, err := fa.DirectChannel(ctx, o.User)
	if err == nil {
		_, err = a.postFile(ctx, fa, Post{ChannelID: dm, Message: fmt.Sprintf("📄 %s, as you asked.", code(res.Operation))}, f)
	}
	switch {
	case err != nil:
		a.log.Warn("mattermost: could not send a result's file to the asker; answering without it", "operation", res.Operation, "err", err)
		ans.Text = withPostNote(ans.Text, fmt.Sprintf("⚠️ The whole answer, %s, could not be sent to your direct messages; `poolvisor exec` on the host prints all of it.", code(f.Name)))
	case use == chat.FileInstead:
		ans.Text = fmt.Sprintf("📄 %s is too long for a post; it is in your direct messages with me as %s (%s).", code(res.Operation), code(f.Name), size)
		if p := res.Private.For(actor); p != "" {
			ans.Text += "\n\n🔒 Only you see this: " + code(p)
		}
	default:
		ans.Text = withPostNote(ans.Text, fmt.Sprintf("📄 The whole answer is %s (%s), in your direct messages with me.", code(f.Name), size))
	}
	a.respondOrPost(ctx, o, ans)
}

// fileAck acknowledges a command whose answer follows with a file.
func fileAck(use chat.FileUse) string {
	switch use {
	case chat.FileWith:
		return "📄 The answer follows in a moment, with the whole of it as a file."
	case chat.FileInstead:
		return "📄 The answer is long; it follows as a file in a moment."
	}
	return "⏳ The answer is long; it follows in a moment."
}

// postFile uploads f to p's channel and posts p with it.
func (a *Adapter) postFile(ctx context.Context, fa FileAPI, p Post, f ops.Attachment) (string, error) {
	id, err := fa.UploadFile(ctx, p.ChannelID, f)
	if err != nil {
		return "", err
	}
	p.Props = Props{Attachments: []Attachment{}}
	return fa.CreatePostWithFiles(ctx, p, []string{id})
}

// fileAfterProgress posts a run's document in the thread of its progress
// post, which showed its result: a roll across many hosts summarised.
func (a *Adapter) fileAfterProgress(ctx context.Context, channel, root string, res ops.Result) {
	use := chat.FileFor(res, fileLimits)
	fa, ok := a.api.(FileAPI)
	if !ok || (use != chat.FileWith && use != chat.FileInstead) {
		return
	}
	f := chat.Document(res)
	p := Post{ChannelID: channel, RootID: root, Message: fmt.Sprintf("📄 The whole answer, %s (%s).", code(f.Name), chat.ByteSize(len(f.Content)))}
	if _, err := a.postFile(ctx, fa, p, f); err != nil {
		a.log.Warn("mattermost: could not post a run's file", "operation", res.Operation, "err", err)
	}
}

// withPostNote adds note to the end of text, cutting text to keep both
// within maxPostChars.
func withPostNote(text, note string) string {
	room := maxPostChars - utf8.RuneCountInString(note) - 2
	return truncateRunes(text, room) + "\n\n" + note
}

// respondOrPost sends a late answer: to the command's response_url, or,
// without one, as a post of the bot's (for the channel) or an ephemeral
// post (for the asker).
func (a *Adapter) respondOrPost(ctx context.Context, o origin, r CommandResponse) {
	var err error
	switch {
	case o.ResponseURL != "":
		err = a.api.Respond(ctx, o.ResponseURL, r)
	case r.ResponseType == InChannel:
		_, err = a.api.CreatePost(ctx, Post{ChannelID: o.Channel, Message: r.Text, Props: Props{Attachments: r.Attachments}})
	default:
		err = a.api.Ephemeral(ctx, o.User, Post{ChannelID: o.Channel, Message: r.Text, Props: Props{Attachments: r.Attachments}})
	}
	if err != nil {
		a.log.Warn("mattermost: could not post a late answer", "err", err)
	}
}

// filePost is a post that names files.
type filePost struct {
	Post
	FileIDs []string `json:"file_ids"`
}

func (c *restClient) CreatePostWithFiles(ctx context.Context, p Post, fileIDs []string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "posts.create", http.MethodPost, "/api/v4/posts", filePost{Post: p, FileIDs: fileIDs}, &out, true); err != nil {
		return "", err
	}
	return out.ID, nil
}

// DirectChannel asks who the bot is (GET /api/v4/users/me), then for the
// direct channel of the two (POST /api/v4/channels/direct, whose body is
// the two user IDs). https://api.mattermost.com/#tag/channels/operation/CreateDirectChannel
func (c *restClient) DirectChannel(ctx context.Context, userID string) (string, error) {
	var me, ch struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "users.me", http.MethodGet, "/api/v4/users/me", nil, &me, true); err != nil {
		return "", err
	}
	if err := c.call(ctx, "channels.direct", http.MethodPost, "/api/v4/channels/direct", []string{me.ID, userID}, &ch, true); err != nil {
		return "", err
	}
	if ch.ID == "" {
		return "", errors.New("mattermost channels.direct: no channel id in the answer")
	}
	return ch.ID, nil
}

// UploadFile sends one file as multipart/form-data: channel_id first (the
// server reads the body as a stream and needs the channel before the
// files), then the file in a part named files with its filename.
func (c *restClient) UploadFile(ctx context.Context, channelID string, f ops.Attachment) (id string, err error) {
	const route = "files.upload"
	defer func() {
		var ae *APIError
		if c.observe != nil {
			c.observe(route, err != nil, errors.As(err, &ae) && ae.RateLimited())
		}
		c.health.record(err)
	}()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField("channel_id", channelID); err != nil {
		return "", fmt.Errorf("mattermost %s: %w", route, err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename="%s"`, chat.FileName(f.Name, "")))
	h.Set("Content-Type", f.ContentType)
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(f.Content)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", fmt.Errorf("mattermost %s: %w", route, err)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.base.String(), "/")+"/api/v4/files", &b)
	if err != nil {
		return "", fmt.Errorf("mattermost %s: %w", route, err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("mattermost %s: %w", route, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e) // a body that is not JSON leaves Msg empty
		return "", &APIError{Route: route, Status: resp.StatusCode, Msg: e.Message}
	}
	var out struct {
		FileInfos []struct {
			ID string `json:"id"`
		} `json:"file_infos"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("mattermost %s: decode: %w", route, err)
	}
	if len(out.FileInfos) != 1 || out.FileInfos[0].ID == "" {
		return "", fmt.Errorf("mattermost %s: %d file infos for one file", route, len(out.FileInfos))
	}
	return out.FileInfos[0].ID, nil
}
