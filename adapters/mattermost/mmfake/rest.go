package mmfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The REST API poolvisor calls, and the response_url of slash commands.

// check returns why Mattermost would refuse p, or "".
func check(p Post) string {
	if !idRE.MatchString(p.ChannelID) {
		return fmt.Sprintf("invalid channel_id %q", p.ChannelID)
	}
	if p.RootID != "" && !idRE.MatchString(p.RootID) {
		return fmt.Sprintf("invalid root_id %q", p.RootID)
	}
	if n := utf8.RuneCountInString(p.Message); n > maxPostChars {
		return fmt.Sprintf("message is %d characters, more than %d", n, maxPostChars)
	}
	for _, a := range p.Props.Attachments {
		for _, b := range a.Actions {
			if b.ID == "" || strings.Trim(b.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
				return fmt.Sprintf("action id %q must be letters and digits", b.ID)
			}
			if b.Name == "" || !strings.HasPrefix(b.Integration.URL, "http") {
				return fmt.Sprintf("action %q needs a name and an absolute integration url", b.ID)
			}
		}
	}
	return ""
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	var p Post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad json: "+err.Error())
		return
	}
	if why := check(p); why != "" {
		s.refuse(w, http.StatusBadRequest, why)
		return
	}
	s.mu.Lock()
	outside := s.outside[p.ChannelID]
	s.mu.Unlock()
	if outside {
		s.refuse(w, http.StatusForbidden, "the bot is not a member of channel "+p.ChannelID)
		return
	}
	p.ID, p.Via = NewID(), "api"
	if why := s.attach(&p); why != "" {
		s.refuse(w, http.StatusBadRequest, why)
		return
	}
	s.add(&p)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(p)
}

func (s *Server) updatePost(w http.ResponseWriter, r *http.Request) {
	var p Post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad json: "+err.Error())
		return
	}
	if p.ID != r.PathValue("id") {
		s.refuse(w, http.StatusBadRequest, "post id in the body does not match the URL")
		return
	}
	if why := check(p); why != "" {
		s.refuse(w, http.StatusBadRequest, why)
		return
	}
	if !s.edit(p.ID, p.Message, p.Props) {
		s.refuse(w, http.StatusNotFound, "no post "+p.ID)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(p)
}

func (s *Server) ephemeral(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID string `json:"user_id"`
		Post   Post   `json:"post"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !idRE.MatchString(in.UserID) {
		s.refuse(w, http.StatusBadRequest, "bad ephemeral post")
		return
	}
	if why := check(in.Post); why != "" {
		s.refuse(w, http.StatusBadRequest, why)
		return
	}
	if len(in.Post.FileIDs) > 0 { // an ephemeral post is not stored: its files would be shown to nobody
		s.refuse(w, http.StatusBadRequest, "an ephemeral post cannot carry files")
		return
	}
	p := in.Post
	p.ID, p.For, p.Via = NewID(), in.UserID, "ephemeral"
	s.add(&p)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(p)
}

func (s *Server) userGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ids := s.groups[r.PathValue("id")]
	s.mu.Unlock()
	out := []map[string]string{}
	for _, id := range ids {
		out = append(out, map[string]string{"id": id, "name": "group-" + id[:4]})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// respond takes a slash command's late answer at its response_url.
func (s *Server) respond(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h, ok := s.hooks[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		s.refuse(w, http.StatusNotFound, "unknown response_url")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.refuse(w, http.StatusBadRequest, "response_url takes application/json")
		return
	}
	var cr CommandResponse
	if err := json.NewDecoder(r.Body).Decode(&cr); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad json: "+err.Error())
		return
	}
	p, why := cr.post(h)
	if why != "" {
		s.refuse(w, http.StatusBadRequest, why)
		return
	}
	p.Via = "response_url"
	s.add(&p)
	w.WriteHeader(http.StatusOK)
}
