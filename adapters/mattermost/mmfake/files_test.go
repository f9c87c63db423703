package mmfake

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// The fake checks uploads as Mattermost does, so the adapter's mistakes
// show in its tests.

func call(t *testing.T, s *Server, method, path, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func multipartUpload(t *testing.T, fields [][2]string, file string) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		if f[0] == "files" {
			p, _ := w.CreateFormFile("files", file)
			p.Write([]byte(f[1]))
			continue
		}
		w.WriteField(f[0], f[1])
	}
	w.Close()
	return w.FormDataContentType(), &b
}

func upload(t *testing.T, s *Server, channel, content string) string {
	t.Helper()
	ct, body := multipartUpload(t, [][2]string{{"channel_id", channel}, {"files", content}}, "a.txt")
	status, out := call(t, s, "POST", "/api/v4/files", ct, body)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %v", status, out)
	}
	return out["file_infos"].([]any)[0].(map[string]any)["id"].(string)
}

func post(t *testing.T, s *Server, path, body string) (int, map[string]any) {
	t.Helper()
	return call(t, s, "POST", path, "application/json", strings.NewReader(body))
}

func TestUploadWireFormat(t *testing.T) {
	s := New("tok")
	defer s.Close()
	ch, other := NewID(), NewID()

	ct, body := multipartUpload(t, [][2]string{{"files", "x"}, {"channel_id", ch}}, "a.txt")
	if status, _ := call(t, s, "POST", "/api/v4/files", ct, body); status != http.StatusBadRequest {
		t.Errorf("files before channel_id: %d, want 400", status)
	}
	if status, _ := call(t, s, "POST", "/api/v4/files?channel_id="+ch+"&filename=b.txt", "text/plain", strings.NewReader("raw")); status != http.StatusCreated {
		t.Errorf("an upload by query: %d, want 201", status)
	}
	id := upload(t, s, ch, "hello")
	if status, out := post(t, s, "/api/v4/posts", `{"channel_id":"`+other+`","message":"m","file_ids":["`+id+`"]}`); status != http.StatusBadRequest {
		t.Errorf("a file of another channel: %d %v", status, out)
	}
	if status, out := post(t, s, "/api/v4/posts/ephemeral", `{"user_id":"`+NewID()+`","post":{"channel_id":"`+ch+`","message":"m","file_ids":["`+id+`"]}}`); status != http.StatusBadRequest {
		t.Errorf("an ephemeral post with a file: %d %v", status, out)
	}
	status, out := post(t, s, "/api/v4/posts", `{"channel_id":"`+ch+`","message":"m","file_ids":["`+id+`"]}`)
	if status != http.StatusCreated {
		t.Fatalf("a post with its file: %d %v", status, out)
	}
	if fs := s.PostFiles(out["id"].(string)); len(fs) != 1 || string(fs[0].Content) != "hello" {
		t.Errorf("the post's files: %+v", fs)
	}
	if status, _ := post(t, s, "/api/v4/posts", `{"channel_id":"`+ch+`","message":"m","file_ids":["`+id+`"]}`); status != http.StatusBadRequest {
		t.Errorf("a file already in a post: %d, want 400", status)
	}
	s.LeaveChannel(other)
	if status, _ := call(t, s, "POST", "/api/v4/files?channel_id="+other+"&filename=b.txt", "text/plain", strings.NewReader("raw")); status != http.StatusForbidden {
		t.Errorf("an upload to a channel the bot is not in: %d, want 403", status)
	}
}

func TestDirectChannel(t *testing.T) {
	s := New("tok")
	defer s.Close()
	user := NewID()
	if status, _ := post(t, s, "/api/v4/channels/direct", `["`+user+`","`+NewID()+`"]`); status != http.StatusForbidden {
		t.Errorf("a direct channel of two others: %d, want 403", status)
	}
	_, a := post(t, s, "/api/v4/channels/direct", `["`+BotID+`","`+user+`"]`)
	_, b := post(t, s, "/api/v4/channels/direct", `["`+user+`","`+BotID+`"]`)
	if a["id"] == nil || a["id"] != b["id"] || s.DirectChannel(user) != a["id"] {
		t.Errorf("the direct channel: %v, then %v", a, b)
	}
}
