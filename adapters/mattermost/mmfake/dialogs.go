package mmfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// The limits of an interactive dialog.
// https://developers.mattermost.com/integrate/plugins/interactive-dialogs/
const (
	maxDialogElements = 5
	maxDialogTitle    = 24
	maxDisplayName    = 24
	maxHelpText       = 150
	maxTextDefault    = 150
	maxAreaDefault    = 3000
)

// Dialog is an opened interactive dialog: where it submits, for whom.
type Dialog struct {
	URL  string
	User string // whose trigger_id opened it
	Body struct {
		CallbackID string `json:"callback_id"`
		Title      string `json:"title"`
		Elements   []struct {
			DisplayName string `json:"display_name"`
			Name        string `json:"name"`
			Type        string `json:"type"`
			SubType     string `json:"subtype"`
			Default     string `json:"default"`
			HelpText    string `json:"help_text"`
			Optional    bool   `json:"optional"`
			Options     []struct {
				Text  string `json:"text"`
				Value string `json:"value"`
			} `json:"options"`
		} `json:"elements"`
		State string `json:"state"`
	}
	Seq int
}

func (s *Server) openDialog(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TriggerID string          `json:"trigger_id"`
		URL       string          `json:"url"`
		Dialog    json.RawMessage `json:"dialog"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad json: "+err.Error())
		return
	}
	s.mu.Lock()
	user, ok := s.triggers[in.TriggerID]
	s.mu.Unlock()
	if !ok {
		s.refuse(w, http.StatusBadRequest, "unknown or expired trigger_id")
		return
	}
	d := Dialog{URL: in.URL, User: user}
	if err := json.Unmarshal(in.Dialog, &d.Body); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad dialog: "+err.Error())
		return
	}
	names := map[string]bool{}
	for _, e := range d.Body.Elements {
		if e.Name == "" || names[e.Name] || (e.Type != "text" && e.Type != "textarea" && e.Type != "select" && e.Type != "bool") {
			s.refuse(w, http.StatusBadRequest, fmt.Sprintf("bad element %q of type %q", e.Name, e.Type))
			return
		}
		names[e.Name] = true
		if msg := elementProblem(e.DisplayName, e.HelpText, e.Type, e.Default, len(e.Options)); msg != "" {
			s.refuse(w, http.StatusBadRequest, fmt.Sprintf("element %q: %s", e.Name, msg))
			return
		}
	}
	switch {
	case len(d.Body.Elements) > maxDialogElements:
		s.refuse(w, http.StatusBadRequest, fmt.Sprintf("%d elements; a dialog holds %d", len(d.Body.Elements), maxDialogElements))
		return
	case d.Body.Title == "" || utf8.RuneCountInString(d.Body.Title) > maxDialogTitle:
		s.refuse(w, http.StatusBadRequest, fmt.Sprintf("title %q: 1 to %d characters", d.Body.Title, maxDialogTitle))
		return
	}
	s.mu.Lock()
	s.seq++
	d.Seq = s.seq
	s.dialogs = append(s.dialogs, d)
	s.notify()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"OK"}`))
}

// WaitDialog returns the first dialog opened after change since.
func (s *Server) WaitDialog(timeout time.Duration, since int) (Dialog, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, d := range s.dialogs {
			if d.Seq > since {
				s.mu.Unlock()
				return d, nil
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return Dialog{}, fmt.Errorf("mmfake: no dialog within %s (refused: %v)", timeout, s.Refused())
		}
	}
}

// DialogAnswer is an integration's answer to a submission.
type DialogAnswer struct {
	Status int
	Errors map[string]string `json:"errors"`
	Error  string            `json:"error"`
	Raw    string
}

// Submit submits dialog d in channel with values, as its user, the way
// Mattermost posts a submission (text fields as strings).
func (s *Server) Submit(d Dialog, channel string, values map[string]any) (DialogAnswer, error) {
	body, err := json.Marshal(map[string]any{
		"type": "dialog_submission", "callback_id": d.Body.CallbackID, "state": d.Body.State,
		"user_id": d.User, "channel_id": channel, "team_id": "tteamteamteamteamteamteamt",
		"submission": values, "cancelled": false,
	})
	if err != nil {
		return DialogAnswer{}, err
	}
	resp, err := http.Post(d.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		return DialogAnswer{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := DialogAnswer{Status: resp.StatusCode, Raw: string(raw)}
	if resp.StatusCode == http.StatusOK && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return a, fmt.Errorf("mmfake: dialog answer %s: %w", raw, err)
		}
	}
	return a, nil
}

// elementProblem says what Mattermost refuses in an element: a display
// name or help text too long, a default longer than its type holds, a
// select without options.
func elementProblem(name, help, typ, def string, options int) string {
	maxDefault := maxTextDefault
	if typ == "textarea" {
		maxDefault = maxAreaDefault
	}
	switch {
	case name == "" || utf8.RuneCountInString(name) > maxDisplayName:
		return fmt.Sprintf("display_name %q: 1 to %d characters", name, maxDisplayName)
	case utf8.RuneCountInString(help) > maxHelpText:
		return fmt.Sprintf("help_text longer than %d characters", maxHelpText)
	case utf8.RuneCountInString(def) > maxDefault:
		return fmt.Sprintf("a %s's default holds %d characters", typ, maxDefault)
	case typ == "select" && options == 0:
		return "a select without options"
	}
	return ""
}
