package mattermost

// The wire formats of Mattermost's integrations, as documented:
//   - slash commands: https://developers.mattermost.com/integrate/slash-commands/custom/
//   - interactive messages (message attachments' actions):
//     https://developers.mattermost.com/integrate/plugins/interactive-messages/
//   - posts: https://api.mattermost.com/#tag/posts

// Post is a post of the REST API (POST /api/v4/posts, PUT
// /api/v4/posts/{id}).
type Post struct {
	ID        string `json:"id,omitempty"`
	ChannelID string `json:"channel_id"`
	RootID    string `json:"root_id,omitempty"` // the post a reply is in the thread of
	Message   string `json:"message"`
	Props     Props  `json:"props"`
}

// Props are a post's properties; poolvisor uses only its attachments,
// which carry the buttons. An empty list is sent, not left out, so that an
// update takes the buttons away.
type Props struct {
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a message attachment; its actions are its buttons.
type Attachment struct {
	Fallback string   `json:"fallback,omitempty"`
	Color    string   `json:"color,omitempty"`
	Text     string   `json:"text,omitempty"`
	Actions  []Action `json:"actions,omitempty"`
}

// Action is a button. Mattermost calls Integration.URL with
// Integration.Context when it is clicked.
type Action struct {
	ID          string      `json:"id"` // letters and digits only
	Name        string      `json:"name"`
	Type        string      `json:"type"` // "button"
	Style       string      `json:"style,omitempty"`
	Integration Integration `json:"integration"`
}

// Integration is where a click goes and what it carries.
type Integration struct {
	URL     string        `json:"url"`
	Context ActionContext `json:"context"`
}

// ActionContext is what poolvisor puts in a button: the command it runs
// and an HMAC-SHA256 of it (sign.go). Mattermost sends it back unchanged
// and does not show it to clients.
type ActionContext struct {
	Command string `json:"command"`
	Sig     string `json:"sig"`
}

// CommandResponse answers a slash command, at once or at its
// response_url. Its buttons go in attachments, the field the slash
// command documentation names (Mattermost makes them the post's
// props.attachments).
type CommandResponse struct {
	ResponseType string       `json:"response_type"` // ephemeral | in_channel
	Text         string       `json:"text"`
	Attachments  []Attachment `json:"attachments,omitempty"`
}

// Response types of a CommandResponse.
const (
	Ephemeral = "ephemeral"
	InChannel = "in_channel"
)

// ActionRequest is what Mattermost posts to a button's integration URL.
type ActionRequest struct {
	UserID      string        `json:"user_id"`
	UserName    string        `json:"user_name"`
	ChannelID   string        `json:"channel_id"`
	ChannelName string        `json:"channel_name"`
	TeamID      string        `json:"team_id"`
	TeamDomain  string        `json:"team_domain"`
	PostID      string        `json:"post_id"`
	TriggerID   string        `json:"trigger_id"`
	Type        string        `json:"type"`
	DataSource  string        `json:"data_source"`
	Context     ActionContext `json:"context"`
}

// ActionResponse answers a click: Update replaces the clicked post,
// EphemeralText is shown to the clicker alone.
type ActionResponse struct {
	Update        *PostUpdate `json:"update,omitempty"`
	EphemeralText string      `json:"ephemeral_text,omitempty"`
}

// PostUpdate is the new message and props of the clicked post.
type PostUpdate struct {
	Message string `json:"message"`
	Props   Props  `json:"props"`
}

// ephemeralPost is the body of POST /api/v4/posts/ephemeral: a post only
// UserID sees.
type ephemeralPost struct {
	UserID string `json:"user_id"`
	Post   Post   `json:"post"`
}
