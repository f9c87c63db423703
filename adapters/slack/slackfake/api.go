package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// params is a Web API call's arguments, from a form or a JSON body.
type params map[string]json.RawMessage

func (p params) str(key string) string {
	raw, ok := p[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// raw returns a JSON value; a form field holding JSON text comes back as that JSON.
func (p params) raw(key string) json.RawMessage {
	raw, ok := p[key]
	if !ok {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return json.RawMessage(s)
	}
	return raw
}

func readParams(r *http.Request) (params, string, error) {
	p := params{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil && !errors.Is(err, io.EOF) {
			return nil, "", err
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, "", err
		}
		for k := range r.Form {
			v, _ := json.Marshal(r.Form.Get(k))
			p[k] = v
		}
	}
	if t := p.str("token"); t != "" {
		token = t
	}
	return p, token, nil
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	p, token, err := readParams(r)
	if err != nil {
		fail(w, "invalid_arguments")
		return
	}
	s.mu.Lock()
	s.calls[method]++
	limited, retryAfter := s.rateLimited[method], 30
	if b := s.limitedNext[method]; b.times > 0 {
		limited, retryAfter = true, b.retryAfter
		b.times--
		s.limitedNext[method] = b
	}
	s.mu.Unlock()
	if limited {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	want := s.BotToken
	if method == "apps.connections.open" {
		want = s.AppToken
	}
	if token == "" {
		fail(w, "not_authed")
		return
	}
	if token != want {
		fail(w, "invalid_auth")
		return
	}
	switch method {
	case "auth.test":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake",
			"user": "poolvisor", "team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"})
	case "chat.postMessage", "chat.postEphemeral", "chat.update":
		s.chat(w, method, p)
	case "conversations.open":
		s.conversationsOpen(w, p)
	case "files.getUploadURLExternal":
		s.getUploadURL(w, r, p)
	case "files.completeUploadExternal":
		s.completeUpload(w, p)
	case "views.open":
		s.viewsOpen(w, p)
	case "views.update":
		s.viewsUpdate(w, p)
	case "usergroups.list":
		s.usergroupsList(w, p)
	case "usergroups.users.list":
		s.mu.Lock()
		users, ok := s.groups[p.str("usergroup")]
		s.mu.Unlock()
		if !ok {
			fail(w, "no_such_subteam")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "users": users})
	case "apps.connections.open":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "ws://" + r.Host + "/socket?ticket=fake"})
	default:
		fail(w, "unknown_method")
	}
}

func (s *Server) chat(w http.ResponseWriter, method string, p params) {
	m := Message{Channel: p.str("channel"), Text: p.str("text"), Blocks: p.raw("blocks"), ThreadTS: p.str("thread_ts")}
	if m.Channel == "" {
		fail(w, "channel_not_found")
		return
	}
	if m.Text == "" && len(m.Blocks) == 0 {
		fail(w, "no_text")
		return
	}
	if len(m.Text) > 0 && chars(m.Text) > maxMessageText {
		fail(w, "msg_too_long")
		return
	}
	if len(m.Blocks) > 0 {
		if err := ValidateBlocks(m.Blocks, false); err != nil {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_blocks", "errors": []string{err.Error()}})
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notInChannel[m.Channel] {
		fail(w, "not_in_channel")
		return
	}
	switch method {
	case "chat.postMessage":
		m.Kind, m.TS = "post", fmt.Sprintf("1700000000.%06d", s.seq+1)
	case "chat.postEphemeral":
		m.Kind, m.User = "ephemeral", p.str("user")
		if m.User == "" {
			fail(w, "user_not_in_channel")
			return
		}
	case "chat.update":
		m.Kind, m.TS = "update", p.str("ts")
		found := false
		for _, old := range s.messages {
			found = found || (old.Kind == "post" && old.Channel == m.Channel && old.TS == m.TS)
		}
		if !found {
			fail(w, "message_not_found")
			return
		}
	}
	m = s.record(m)
	out := map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text}
	if m.Kind == "ephemeral" {
		out = map[string]any{"ok": true, "message_ts": fmt.Sprintf("1700000001.%06d", m.Seq)}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) viewsOpen(w http.ResponseWriter, p params) {
	trigger := p.str("trigger_id")
	var v View
	if err := json.Unmarshal(p.raw("view"), &v); err != nil {
		fail(w, "invalid_arguments")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	issued, ok := s.triggers[trigger]
	switch {
	case !ok:
		fail(w, "invalid_trigger_id")
		return
	case time.Since(issued) > triggerLifetime:
		fail(w, "expired_trigger_id")
		return
	}
	if err := ValidateView(v); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": []string{err.Error()}}})
		return
	}
	delete(s.triggers, trigger) // a trigger opens one view
	s.seq++
	ov := OpenedView{ID: fmt.Sprintf("V%06d", s.seq), TriggerID: trigger, View: v}
	s.views = append(s.views, ov)
	close(s.changed)
	s.changed = make(chan struct{})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "view": map[string]any{
		"id": ov.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
		"hash": ov.Hash(), "blocks": v.Blocks, "title": v.Title}})
}

// viewsUpdate replaces an open view, as Slack's views.update: by view_id,
// refused when hash is given and is not the view's current hash.
// https://api.slack.com/methods/views.update
func (s *Server) viewsUpdate(w http.ResponseWriter, p params) {
	var v View
	if err := json.Unmarshal(p.raw("view"), &v); err != nil {
		fail(w, "invalid_arguments")
		return
	}
	id, hash := p.str("view_id"), p.str("hash")
	s.mu.Lock()
	defer s.mu.Unlock()
	i := -1
	for j := range s.views {
		if s.views[j].ID == id {
			i = j
		}
	}
	switch {
	case id == "":
		fail(w, "invalid_arguments")
		return
	case i < 0:
		fail(w, "not_found")
		return
	case hash != "" && hash != s.views[i].Hash():
		fail(w, "hash_conflict")
		return
	}
	if err := ValidateView(v); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": []string{err.Error()}}})
		return
	}
	s.views[i].View = v
	s.views[i].Updates++
	close(s.changed)
	s.changed = make(chan struct{})
	ov := s.views[i]
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "view": map[string]any{
		"id": ov.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
		"hash": ov.Hash(), "blocks": v.Blocks, "title": v.Title}})
}

func (s *Server) usergroupsList(w http.ResponseWriter, p params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	withUsers := p.str("include_users") == "true"
	var list []map[string]any
	for id, users := range s.groups {
		g := map[string]any{"id": id, "team_id": "T0FAKE", "is_usergroup": true, "name": id,
			"handle": strings.ToLower(id), "user_count": len(users), "date_delete": 0}
		if withUsers {
			g["users"] = users
		}
		list = append(list, g)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "usergroups": list})
}

// WaitView waits until a modal has been opened after n views, and returns it.
func (s *Server) WaitView(timeout time.Duration, n int) (OpenedView, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		if len(s.views) > n {
			v := s.views[n]
			s.mu.Unlock()
			return v, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return OpenedView{}, fmt.Errorf("no view opened within %s", timeout)
		}
	}
}
