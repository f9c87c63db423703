package mmfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// CommandResponse is a slash command's answer, at once or at its
// response_url.
type CommandResponse struct {
	ResponseType string       `json:"response_type"`
	Text         string       `json:"text"`
	Attachments  []Attachment `json:"attachments,omitempty"`
}

// post is the answer as Mattermost shows it.
func (cr CommandResponse) post(h hook) (Post, string) {
	p := Post{ChannelID: h.channel, Message: cr.Text}
	p.Props.Attachments = cr.Attachments
	switch cr.ResponseType {
	case "ephemeral", "":
		p.For = h.user // Mattermost's default is ephemeral
	case "in_channel":
		p.ID = NewID()
	default:
		return Post{}, fmt.Sprintf("unknown response_type %q", cr.ResponseType)
	}
	return p, check(p)
}

// Command is a slash command as Mattermost sends it.
type Command struct {
	Token     string // the command's token
	Command   string // the trigger word with its slash: "/supervisor"
	Text      string
	User      User
	ChannelID string
}

// Answer is what became of a slash command: the HTTP status and, when
// 200, the answer as Mattermost shows it.
type Answer struct {
	Status   int
	Response CommandResponse
	Post     Post // the answer as shown: ephemeral for the user, or in the channel
	Raw      string
}

// SendCommand posts a slash command to poolvisor's url (its
// /mattermost/commands), with a fresh response_url and trigger_id.
func (s *Server) SendCommand(target string, c Command) (Answer, error) {
	hookID, trigger := NewID(), NewID()+":"+c.User.ID
	s.mu.Lock()
	s.hooks[hookID] = hook{channel: c.ChannelID, user: c.User.ID}
	s.triggers[trigger] = c.User.ID
	s.mu.Unlock()
	form := url.Values{
		"token":        {c.Token},
		"team_id":      {"tteamteamteamteamteamteamt"[:26]},
		"team_domain":  {"e2e"},
		"channel_id":   {c.ChannelID},
		"channel_name": {"ops"},
		"user_id":      {c.User.ID},
		"user_name":    {c.User.Name},
		"command":      {c.Command},
		"text":         {c.Text},
		"response_url": {s.srv.URL + "/hooks/commands/" + hookID},
		"trigger_id":   {trigger},
	}
	resp, err := http.Post(target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := Answer{Status: resp.StatusCode, Raw: string(raw)}
	if resp.StatusCode != http.StatusOK {
		return a, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return a, fmt.Errorf("mmfake: a slash command's answer must be application/json, not %q", ct)
	}
	if err := json.Unmarshal(raw, &a.Response); err != nil {
		return a, fmt.Errorf("mmfake: answer %s: %w", raw, err)
	}
	if a.Response.Text == "" && len(a.Response.Attachments) == 0 {
		return a, nil // Mattermost shows nothing for an empty answer
	}
	p, why := a.Response.post(hook{channel: c.ChannelID, user: c.User.ID})
	if why != "" {
		return a, fmt.Errorf("mmfake: Mattermost would refuse the answer: %s", why)
	}
	if p.ID != "" { // in_channel: a post of its own, whose buttons can be clicked
		p.Via = "response"
		s.add(&p)
	}
	a.Post = p
	return a, nil
}

// ActionResponse is an integration's answer to a click.
type ActionResponse struct {
	Update *struct {
		Message string `json:"message"`
		Props   *Props `json:"props"`
	} `json:"update"`
	EphemeralText string `json:"ephemeral_text"`
}

// Click is what became of a click: the HTTP status and the integration's
// answer, which the fake applied to the post (an update replaces it).
type Click struct {
	Status   int
	Response ActionResponse
	Raw      string
}

// Click clicks the button named name on post p as user: Mattermost calls
// the button's integration URL with its context.
func (s *Server) Click(p Post, name string, user User) (Click, error) {
	var act *Action
	for _, a := range p.Props.Attachments {
		for i := range a.Actions {
			if a.Actions[i].Name == name {
				act = &a.Actions[i]
			}
		}
	}
	if act == nil {
		return Click{}, fmt.Errorf("mmfake: post %s has no button %q (it has %v)", p.ID, name, p.Buttons())
	}
	return s.CallAction(act.Integration.URL, p, act.Integration.Context, user)
}

// CallAction sends a button callback to target with context, as clicking
// a button of post p would: a forged one, when context is made up.
func (s *Server) CallAction(target string, p Post, context map[string]any, user User) (Click, error) {
	body, err := json.Marshal(map[string]any{
		"user_id": user.ID, "user_name": user.Name,
		"channel_id": p.ChannelID, "channel_name": "ops",
		"team_id": "tteamteamteamteamteamteamt", "team_domain": "e2e",
		"post_id": p.ID, "trigger_id": NewID() + ":" + user.ID,
		"type": "", "data_source": "", "context": context,
	})
	if err != nil {
		return Click{}, err
	}
	resp, err := http.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		return Click{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	c := Click{Status: resp.StatusCode, Raw: string(raw)}
	if resp.StatusCode != http.StatusOK {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c.Response); err != nil {
		return c, fmt.Errorf("mmfake: action answer %s: %w", raw, err)
	}
	if u := c.Response.Update; u != nil {
		props := p.Props // Mattermost keeps the props when an update leaves them out
		if u.Props != nil {
			props = *u.Props
		}
		if why := check(Post{ChannelID: p.ChannelID, Message: u.Message, Props: props}); why != "" {
			return c, fmt.Errorf("mmfake: Mattermost would refuse the update: %s", why)
		}
		s.edit(p.ID, u.Message, props)
	}
	if t := c.Response.EphemeralText; t != "" {
		s.add(&Post{ID: NewID(), ChannelID: p.ChannelID, Message: t, For: user.ID, Via: "ephemeral_text"})
	}
	return c, nil
}
