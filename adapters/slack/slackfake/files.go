package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// File is a file shared with files.completeUploadExternal, as Slack's
// three-step upload leaves it
// (https://docs.slack.dev/messaging/working-with-files#uploading_files):
// files.getUploadURLExternal (filename, length) gives an upload URL and a
// file ID; the bytes are POSTed there; files.completeUploadExternal
// (files: [{"id", "title"}], channel_id or none for a private file,
// initial_comment) shares it.
type File struct {
	ID             string
	Name           string
	Title          string
	Channel        string // "" when it was completed without one: private
	InitialComment string
	Content        []byte
}

// upload is a file between its three steps.
type upload struct {
	name    string
	length  int
	content []byte
	done    bool // its bytes arrived
}

// Files returns every file shared so far, oldest first.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]File(nil), s.files...)
}

// WaitFile returns the nth file shared (1 for the first), waiting up to
// timeout for it.
func (s *Server) WaitFile(timeout time.Duration, n int) (File, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		if len(s.files) >= n {
			f := s.files[n-1]
			s.mu.Unlock()
			return f, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return File{}, fmt.Errorf("no file %d within %s", n, timeout)
		}
	}
}

// conversationsOpen opens the direct message with one user: its channel is
// D followed by the user's ID here.
// https://docs.slack.dev/reference/methods/conversations.open
func (s *Server) conversationsOpen(w http.ResponseWriter, p params) {
	users := p.str("users")
	if users == "" && p.str("channel") == "" {
		fail(w, "users_list_not_supplied")
		return
	}
	if strings.Contains(users, ",") { // a group DM; poolvisor opens none
		fail(w, "not_implemented_in_fake")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + users}})
}

// getUploadURL: filename and length are required, length in bytes.
// https://docs.slack.dev/reference/methods/files.getUploadURLExternal
func (s *Server) getUploadURL(w http.ResponseWriter, r *http.Request, p params) {
	name := p.str("filename")
	length, err := strconv.Atoi(p.str("length"))
	if name == "" || err != nil || length < 1 {
		fail(w, "invalid_arguments")
		return
	}
	s.mu.Lock()
	s.fileSeq++
	id := fmt.Sprintf("F%07d", s.fileSeq)
	s.uploads[id] = &upload{name: name, length: length}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "upload_url": "http://" + r.Host + "/upload/" + id, "file_id": id})
}

// receiveUpload takes a file's bytes at its upload URL: the raw body, or
// the first file of a multipart/form-data body (as SDKs send it). Slack
// answers 200 with "OK - LENGTH".
func (s *Server) receiveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var content []byte
	var err error
	ct, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		content, err = firstFile(multipart.NewReader(r.Body, ps["boundary"]))
	} else {
		content, err = io.ReadAll(r.Body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[id]
	if !ok || u.done {
		http.Error(w, "no such upload", http.StatusNotFound)
		return
	}
	if len(content) != u.length { // Slack refuses bytes that differ from length
		http.Error(w, fmt.Sprintf("length %d, declared %d", len(content), u.length), http.StatusBadRequest)
		return
	}
	u.content, u.done = content, true
	fmt.Fprintf(w, "OK - %d", len(content))
}

func firstFile(mr *multipart.Reader) ([]byte, error) {
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no file in the upload: %w", err)
		}
		if part.FileName() != "" {
			return io.ReadAll(part)
		}
	}
}

// completeUpload shares uploaded files: files is a JSON array of {"id",
// "title"}, each of them uploaded and not yet completed.
// https://docs.slack.dev/reference/methods/files.completeUploadExternal
func (s *Server) completeUpload(w http.ResponseWriter, p params) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(p.raw("files"), &files); err != nil || len(files) == 0 {
		fail(w, "invalid_arguments")
		return
	}
	s.mu.Lock()
	for _, f := range files {
		if u, ok := s.uploads[f.ID]; !ok || !u.done {
			s.mu.Unlock()
			fail(w, "file_not_found")
			return
		}
	}
	out := make([]map[string]string, len(files))
	for i, f := range files {
		u := s.uploads[f.ID]
		delete(s.uploads, f.ID)
		title := f.Title
		if title == "" {
			title = u.name
		}
		s.files = append(s.files, File{ID: f.ID, Name: u.name, Title: title, Channel: p.str("channel_id"),
			InitialComment: p.str("initial_comment"), Content: u.content})
		out[i] = map[string]string{"id": f.ID, "title": title}
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "files": out})
}
