package discord

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"unicode/utf8"

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

// asFile reports whether a result goes as a file: it is a document
// (ops.Result.Attachment) longer than the free text a message shows
// (maxTextChars), which Render would cut, and not too large to send.
func asFile(res ops.Result) bool {
	f := res.Attachment
	return f != nil && len(f.Content) > 0 && len(f.Content) <= maxFileBytes &&
		utf8.RuneCountInString(res.Message) > maxTextChars
}

// withFile makes m a short note with res's document attached, keeping
// m's visibility.
func withFile(m Message, res ops.Result) Message {
	f := *res.Attachment
	note := RenderText(fmt.Sprintf("📄 %s is too long for a message; it is attached as %s (%s).",
		res.Operation, f.Name, byteSize(len(f.Content))))
	note.Flags = m.Flags
	note.Attachments = []attachmentRef{{ID: 0, Filename: f.Name}}
	note.files = []ops.Attachment{f}
	return note
}

func byteSize(n int) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
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
