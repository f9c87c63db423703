package discordfake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// interaction is one sent over the Gateway, whose answer is awaited.
type interaction struct {
	id       string
	typ      int // its interaction type
	answered bool
}

// Interaction response types and which interaction types may get each.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type
var responseFor = map[int][]int{
	4: {TypeCommand, TypeComponent, TypeModalSubmit}, // CHANNEL_MESSAGE_WITH_SOURCE
	5: {TypeCommand, TypeComponent, TypeModalSubmit}, // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
	6: {TypeComponent, TypeModalSubmit},              // DEFERRED_UPDATE_MESSAGE
	7: {TypeComponent, TypeModalSubmit},              // UPDATE_MESSAGE
	8: {TypeAutocomplete},                            // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
	9: {TypeCommand, TypeComponent},                  // MODAL
}

// answered reports whether the interaction whose token this is may be
// followed up: it was answered, or it did not come over the Gateway (an
// HTTP interaction's answer is the HTTP response, which the fake does not
// see).
func (s *Server) answered(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.interactions[token]
	return !ok || in.answered
}

// callback checks the answer to an interaction sent over the Gateway as
// Discord would, and fills c from it. It answers with the HTTP status and
// Discord's error code of a refusal.
func (s *Server) callback(c *Call, body []byte) (int, int, error) {
	s.mu.Lock()
	in, ok := s.interactions[c.Token]
	s.mu.Unlock()
	if !ok || in.id != c.Interaction {
		return http.StatusNotFound, 10062, fmt.Errorf("Unknown interaction")
	}
	var resp struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return http.StatusBadRequest, 50035, fmt.Errorf("not an interaction response: %w", err)
	}
	c.Type = resp.Type
	allowed, known := responseFor[resp.Type]
	if !known || !contains(allowed, in.typ) {
		return http.StatusBadRequest, 50035, fmt.Errorf("response type %d does not answer an interaction of type %d", resp.Type, in.typ)
	}
	switch resp.Type {
	case 4, 7:
		if err := ValidateMessage(resp.Data); err != nil {
			return http.StatusBadRequest, 50035, err
		}
		_ = json.Unmarshal(resp.Data, &c.Msg)
	case 5:
		if len(resp.Data) > 0 {
			_ = json.Unmarshal(resp.Data, &c.Msg)
		}
	case 8:
		if err := validateChoices(resp.Data); err != nil {
			return http.StatusBadRequest, 50035, err
		}
	case 9:
		if err := validateModal(resp.Data); err != nil {
			return http.StatusBadRequest, 50035, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.answered {
		return http.StatusBadRequest, 40060, fmt.Errorf("Interaction has already been acknowledged.")
	}
	in.answered = true
	return 0, 0, nil
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// validateChoices checks an autocomplete answer: at most 25 choices of
// names of 1 to 100 characters.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-autocomplete
func validateChoices(raw json.RawMessage) error {
	var d struct {
		Choices *[]struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Choices == nil {
		return fmt.Errorf("an autocomplete answer needs choices")
	}
	if len(*d.Choices) > 25 {
		return fmt.Errorf("%d choices; the limit is 25", len(*d.Choices))
	}
	for _, c := range *d.Choices {
		if l := n(c.Name); l < 1 || l > 100 {
			return fmt.Errorf("choice name %q: 1 to 100 characters", c.Name)
		}
	}
	return nil
}

// validateModal checks a modal: a custom_id, a title of at most 45
// characters, 1 to 5 rows.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
func validateModal(raw json.RawMessage) error {
	var d struct {
		CustomID   string            `json:"custom_id"`
		Title      string            `json:"title"`
		Components []json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("not a modal: %w", err)
	}
	switch {
	case d.CustomID == "" || n(d.CustomID) > maxCustomID:
		return fmt.Errorf("modal custom_id %q: 1 to %d characters", d.CustomID, maxCustomID)
	case d.Title == "" || n(d.Title) > 45:
		return fmt.Errorf("modal title %q: 1 to 45 characters", d.Title)
	case len(d.Components) < 1 || len(d.Components) > 5:
		return fmt.Errorf("a modal holds 1 to 5 rows, not %d", len(d.Components))
	}
	return nil
}
