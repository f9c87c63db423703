package chat

import (
	"fmt"
	"mime"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// FileUse is how a platform sends a result that carries a document
// (ops.Result.Attachment). The choice is the same on every platform; only
// the limits it is made against (FileLimits) and the wire differ.
type FileUse int

const (
	// NoFile: the message alone. The result has no document, or one that
	// is its text and fits in a message, or it is an approval request
	// (whose buttons must stay updatable in a message of its own).
	NoFile FileUse = iota
	// FileWith: the message as rendered, and the document with it. The
	// message summarises the document (ops.Attachment.Summarised), so the
	// reader needs both, however short the message.
	FileWith
	// FileInstead: a short note with the document, in place of a message
	// that would be cut to fit.
	FileInstead
	// FileTooLarge: the document should go, but it is larger than the
	// platform takes; the message goes (cut if it must) with a note that
	// `poolvisor exec` on the host prints all of it.
	FileTooLarge
)

// FileLimits are a platform's: the most text a message shows, in
// characters, and the largest file it takes, in bytes.
type FileLimits struct {
	MaxTextChars int
	MaxFileBytes int
}

// FileFor decides how res goes on a platform with limits l.
func FileFor(res ops.Result, l FileLimits) FileUse {
	f := res.Attachment
	if f == nil || len(f.Content) == 0 {
		return NoFile
	}
	if res.Status == ops.StatusPending && view.Decode(res.Data).Approval != nil {
		return NoFile
	}
	if !f.Summarised && utf8.RuneCountInString(res.Message) <= l.MaxTextChars {
		return NoFile
	}
	if len(f.Content) > l.MaxFileBytes {
		return FileTooLarge
	}
	if f.Summarised {
		return FileWith
	}
	return FileInstead
}

// maxFileName bounds a file's name: every platform shows it in a line,
// and none needs more to say what it holds.
const maxFileName = 100

// Document is res's document as a platform sends it, under a safe name
// (FileName) and a well-formed media type.
func Document(res ops.Result) ops.Attachment {
	f := *res.Attachment
	f.Name = FileName(f.Name, res.Operation)
	f.ContentType = contentType(f.ContentType)
	return f
}

// contentType is t as a well-formed media type for a multipart header,
// or application/octet-stream when it is none.
func contentType(t string) string {
	kind, params, err := mime.ParseMediaType(t)
	if err != nil {
		return "application/octet-stream"
	}
	return mime.FormatMediaType(kind, params)
}

// FileName is name as a file's name on every platform: letters, digits,
// '.', '-' and '_' only (no path, no quote or line break to end a
// multipart header, no leading dot), at most maxFileName characters with
// its extension kept; an empty one becomes poolvisor-<operation>.txt.
func FileName(name, operation string) string {
	clean := func(s string) string {
		return strings.Trim(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return r
			}
			return '-'
		}, s), ".-")
	}
	name = clean(path.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "" {
		name = clean("poolvisor-"+operation) + ".txt"
	}
	if len(name) > maxFileName {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = strings.TrimRight(name[:maxFileName-len(ext)], ".-") + ext
	}
	return name
}

// ByteSize is n bytes as people read a file's size.
func ByteSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
