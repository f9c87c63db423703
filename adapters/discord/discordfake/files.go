package discordfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// File is a file sent with a message.
type File struct {
	ID          int // n of its files[n] part, which the payload's attachments name
	Name        string
	ContentType string
	Content     []byte
}

// maxFileBytes is the most a file may hold: 10 MiB for a bot without a
// boosted server. https://discord.com/developers/docs/reference#uploading-files
const maxFileBytes = 10 << 20

// messageBody returns the JSON of a message call and its files. A message
// with files is multipart/form-data, as Discord documents it
// (https://discord.com/developers/docs/reference#uploading-files): the
// JSON in the part payload_json, each file in a part files[n] with a
// filename, and the JSON's attachments naming every n ({"id": n,
// "filename": ...}). Anything else is the JSON body itself.
func messageBody(r *http.Request, body []byte) ([]byte, []File, error) {
	ct, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return body, nil, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), ps["boundary"])
	var (
		payload []byte
		files   []File
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("bad multipart body: %w", err)
		}
		content, err := io.ReadAll(io.LimitReader(part, maxFileBytes+1))
		if err != nil {
			return nil, nil, err
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			payload = content
		case strings.HasPrefix(name, "files[") && strings.HasSuffix(name, "]"):
			n, err := strconv.Atoi(name[len("files[") : len(name)-1])
			if err != nil || n < 0 || n > 9 {
				return nil, nil, fmt.Errorf("bad file part %q", name)
			}
			if part.FileName() == "" {
				return nil, nil, fmt.Errorf("file part %q has no filename", name)
			}
			if len(content) > maxFileBytes {
				return nil, nil, fmt.Errorf("file %q is larger than %d bytes", part.FileName(), maxFileBytes)
			}
			files = append(files, File{ID: n, Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Content: content})
		default:
			return nil, nil, fmt.Errorf("unexpected part %q (a message with files has payload_json and files[n])", name)
		}
	}
	if payload == nil {
		return nil, nil, fmt.Errorf("multipart body without payload_json")
	}
	var p struct {
		Attachments []struct {
			ID       json.Number `json:"id"`
			Filename string      `json:"filename"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, nil, fmt.Errorf("payload_json: %w", err)
	}
	for i, f := range files {
		found := false
		for _, a := range p.Attachments {
			if a.ID.String() == strconv.Itoa(f.ID) {
				found = true
				if a.Filename != "" {
					files[i].Name = a.Filename
				}
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("files[%d] is not in payload_json's attachments", f.ID)
		}
	}
	return payload, files, nil
}
