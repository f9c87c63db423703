package discord

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxFileBytes is the most a file a bot sends may hold (10 MiB, without a
// boosted server). https://discord.com/developers/docs/reference#uploading-files
const maxFileBytes = 10 << 20

// attachmentRef names a file sent with a message: ID is n of its part
// files[n]. https://discord.com/developers/docs/resources/message#attachment-object
type attachmentRef struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

// fileLimits are what chat.FileFor decides against: a document goes as a
// file when its message summarises it, or when it is longer than the free
// text a message shows (maxTextChars), which Render would cut; never one
// larger than a bot may send.
var fileLimits = chat.FileLimits{MaxTextChars: maxTextChars, MaxFileBytes: maxFileBytes}

// sendsFile reports whether res's answer carries a file, with or instead
// of its message. An HTTP answer to an interaction cannot: it is deferred
// and edited with the file.
func sendsFile(res ops.Result) bool {
	u := chat.FileFor(res, fileLimits)
	return u == chat.FileWith || u == chat.FileInstead
}

// withFile gives m, res rendered, what res's document asks of it, keeping
// m's visibility: the file attached to m when m summarises it; a short
// note with the file in m's place when m would be cut; a note that the
// file is too large to send; else m as it is.
func withFile(m Message, res ops.Result) Message {
	use := chat.FileFor(res, fileLimits)
	if use == chat.NoFile {
		return m
	}
	f := chat.Document(res)
	switch use {
	case chat.FileInstead:
		note := RenderText(fmt.Sprintf("📄 %s is too long for a message; it is attached as %s (%s).",
			res.Operation, f.Name, chat.ByteSize(len(f.Content))))
		note.Flags = m.Flags
		m = note
	case chat.FileTooLarge:
		return withNote(m, fmt.Sprintf("⚠️ The whole answer, %s (%s), is larger than Discord takes; `poolvisor exec` on the host prints all of it.",
			f.Name, chat.ByteSize(len(f.Content))))
	}
	m.Attachments = []attachmentRef{{ID: 0, Filename: f.Name}}
	m.files = []ops.Attachment{f}
	return m
}

// withNote puts note first in m's content, within maxContent.
func withNote(m Message, note string) Message {
	if m.Content != "" {
		note += "\n" + m.Content
	}
	m.Content = truncate(note, maxContent)
	return m
}

// withFiles is a message's body with files, as Discord takes it: a
// multipart/form-data body whose part payload_json is the JSON message
// and whose parts files[n] are the files, each with its filename and
// media type. https://discord.com/developers/docs/reference#uploading-files
func withFiles(payload []byte, files []ops.Attachment) ([]byte, string, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="payload_json"`)
	h.Set("Content-Type", "application/json")
	p, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := p.Write(payload); err != nil {
		return nil, "", err
	}
	for i, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files[%d]"; filename="%s"`, i, quoteEscaper.Replace(f.Name)))
		h.Set("Content-Type", f.ContentType)
		p, err := w.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := p.Write(f.Content); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), w.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
