package mattermost

// The wire types of interactive dialogs: what opens one, what Mattermost
// posts when one is submitted, and the answer.
// https://developers.mattermost.com/integrate/plugins/interactive-dialogs/

// Dialog is an interactive dialog.
type Dialog struct {
	CallbackID       string          `json:"callback_id"`
	Title            string          `json:"title"`
	IntroductionText string          `json:"introduction_text,omitempty"`
	Elements         []DialogElement `json:"elements"`
	SubmitLabel      string          `json:"submit_label,omitempty"`
	State            string          `json:"state"`
}

// DialogElement is one field of a dialog.
type DialogElement struct {
	DisplayName string         `json:"display_name"`
	Name        string         `json:"name"`
	Type        string         `json:"type"` // text | textarea | select
	SubType     string         `json:"subtype,omitempty"`
	Default     string         `json:"default,omitempty"`
	HelpText    string         `json:"help_text,omitempty"`
	Optional    bool           `json:"optional"`
	Options     []DialogOption `json:"options,omitempty"`
}

// DialogOption is a choice of a select.
type DialogOption struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// openDialog is the body of POST /api/v4/actions/dialogs/open.
type openDialog struct {
	TriggerID string `json:"trigger_id"`
	URL       string `json:"url"`
	Dialog    Dialog `json:"dialog"`
}

// DialogSubmission is what Mattermost posts when a dialog is submitted.
type DialogSubmission struct {
	Type       string         `json:"type"`
	CallbackID string         `json:"callback_id"`
	State      string         `json:"state"`
	UserID     string         `json:"user_id"`
	ChannelID  string         `json:"channel_id"`
	TeamID     string         `json:"team_id"`
	Submission map[string]any `json:"submission"`
	Cancelled  bool           `json:"cancelled"`
}

// DialogResponse answers a submission: errors by field keep the dialog
// open with each shown under its field; Error, under the whole dialog.
type DialogResponse struct {
	Errors map[string]string `json:"errors,omitempty"`
	Error  string            `json:"error,omitempty"`
}
