package discordfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Discord's documented limits, checked on every message the fake receives.
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
// https://discord.com/developers/docs/components/reference
const (
	maxContent     = 2000
	maxEmbeds      = 10
	maxEmbedTotal  = 6000
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxActionRows  = 5
	maxRowButtons  = 5
	maxCustomID    = 100
	maxButtonLabel = 80
)

// Msg is a message as the wire carries it.
type Msg struct {
	Content    string      `json:"content"`
	Embeds     []Embed     `json:"embeds"`
	Components []Component `json:"components"`
	Flags      int         `json:"flags"`
}

// Embed is one embed of a message.
type Embed struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Color       int     `json:"color"`
	Fields      []Field `json:"fields"`
	Footer      *struct {
		Text string `json:"text"`
	} `json:"footer"`
}

// Field is one field of an embed.
type Field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// Component is an action row or a button.
type Component struct {
	Type       int         `json:"type"`
	Label      string      `json:"label"`
	Style      int         `json:"style"`
	CustomID   string      `json:"custom_id"`
	Components []Component `json:"components"`
}

// Buttons returns the message's buttons, row by row.
func (m Msg) Buttons() []Component {
	var out []Component
	for _, r := range m.Components {
		out = append(out, r.Components...)
	}
	return out
}

// Text is everything a reader sees, for assertions.
func (m Msg) Text() string {
	s := m.Content
	for _, e := range m.Embeds {
		s += "\n" + e.Title + "\n" + e.Description
		for _, f := range e.Fields {
			s += "\n" + f.Name + ": " + f.Value
		}
		if e.Footer != nil {
			s += "\n" + e.Footer.Text
		}
	}
	for _, b := range m.Buttons() {
		s += "\n[" + b.Label + "]"
	}
	return s
}

func n(s string) int { return utf8.RuneCountInString(s) }

// ValidateMessage reports why Discord would refuse raw as a message body,
// or nil.
func ValidateMessage(raw []byte) error { return validateMessage(raw, 0) }

// ValidateMessageWithFiles is ValidateMessage for a message that carries
// files, which may then have no text of its own.
func ValidateMessageWithFiles(raw []byte, files int) error { return validateMessage(raw, files) }

func validateMessage(raw []byte, files int) error {
	var m Msg
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("not a message: %w", err)
	}
	if n(m.Content) > maxContent {
		return fmt.Errorf("content is %d characters; the limit is %d", n(m.Content), maxContent)
	}
	if m.Content == "" && len(m.Embeds) == 0 && m.Components == nil && files == 0 {
		return fmt.Errorf("empty message")
	}
	if len(m.Embeds) > maxEmbeds {
		return fmt.Errorf("%d embeds; the limit is %d", len(m.Embeds), maxEmbeds)
	}
	total := 0
	for i, e := range m.Embeds {
		for _, c := range []struct {
			what string
			s    string
			max  int
		}{{"title", e.Title, maxTitle}, {"description", e.Description, maxDescription}} {
			if n(c.s) > c.max {
				return fmt.Errorf("embed %d: %s of %d characters; the limit is %d", i, c.what, n(c.s), c.max)
			}
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 {
			return fmt.Errorf("embed %d is empty", i)
		}
		total += n(e.Title) + n(e.Description)
		if len(e.Fields) > maxFields {
			return fmt.Errorf("embed %d: %d fields; the limit is %d", i, len(e.Fields), maxFields)
		}
		for j, f := range e.Fields {
			if f.Name == "" || f.Value == "" {
				return fmt.Errorf("embed %d field %d: empty name or value", i, j)
			}
			if n(f.Name) > maxFieldName || n(f.Value) > maxFieldValue {
				return fmt.Errorf("embed %d field %d: name of %d or value of %d characters", i, j, n(f.Name), n(f.Value))
			}
			total += n(f.Name) + n(f.Value)
		}
		if e.Footer != nil {
			if n(e.Footer.Text) > maxFooter {
				return fmt.Errorf("embed %d: footer too long", i)
			}
			total += n(e.Footer.Text)
		}
	}
	if total > maxEmbedTotal {
		return fmt.Errorf("embeds hold %d characters together; the limit is %d", total, maxEmbedTotal)
	}
	return validateComponents(m.Components)
}

func validateComponents(rows []Component) error {
	if len(rows) > maxActionRows {
		return fmt.Errorf("%d action rows; the limit is %d", len(rows), maxActionRows)
	}
	for i, r := range rows {
		if r.Type != 1 {
			return fmt.Errorf("component %d is of type %d, not an action row", i, r.Type)
		}
		if len(r.Components) == 0 || len(r.Components) > maxRowButtons {
			return fmt.Errorf("action row %d holds %d buttons; 1 to %d allowed", i, len(r.Components), maxRowButtons)
		}
		for _, b := range r.Components {
			if b.Type != 2 {
				return fmt.Errorf("action row %d holds a component of type %d", i, b.Type)
			}
			if b.CustomID == "" || n(b.CustomID) > maxCustomID {
				return fmt.Errorf("custom_id %q: 1 to %d characters", b.CustomID, maxCustomID)
			}
			if n(b.Label) > maxButtonLabel {
				return fmt.Errorf("button label %q too long", b.Label)
			}
		}
	}
	return nil
}

var commandNameRE = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// AppCommand is an application command (or option) as the wire carries it.
type AppCommand struct {
	ID          string        `json:"id,omitempty"`
	Type        int           `json:"type,omitempty"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Options     []*AppCommand `json:"options,omitempty"`
	Required    bool          `json:"required,omitempty"`
	Choices     []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"choices,omitempty"`
	Autocomplete bool    `json:"autocomplete,omitempty"`
	MinValue     *int    `json:"min_value,omitempty"`
	Perms        *string `json:"default_member_permissions,omitempty"`
}

// ValidateCommands reports why Discord would refuse a bulk overwrite.
// https://discord.com/developers/docs/interactions/application-commands#application-command-object
func ValidateCommands(raw []byte) ([]*AppCommand, error) {
	var cmds []*AppCommand
	if err := json.Unmarshal(raw, &cmds); err != nil {
		return nil, fmt.Errorf("not a list of commands: %w", err)
	}
	if len(cmds) > 100 {
		return nil, fmt.Errorf("%d commands; the limit is 100", len(cmds))
	}
	for _, c := range cmds {
		if err := validateCommand(c, 0); err != nil {
			return nil, fmt.Errorf("/%s: %w", c.Name, err)
		}
	}
	return cmds, nil
}

func validateCommand(c *AppCommand, depth int) error {
	if !commandNameRE.MatchString(c.Name) {
		return fmt.Errorf("name %q is not 1-32 lower-case letters, digits, - or _", c.Name)
	}
	if d := n(c.Description); d < 1 || d > 100 {
		return fmt.Errorf("%s: description of %d characters; 1 to 100 allowed", c.Name, d)
	}
	if len(c.Options) > 25 {
		return fmt.Errorf("%s: %d options; the limit is 25", c.Name, len(c.Options))
	}
	if len(c.Choices) > 25 {
		return fmt.Errorf("%s: %d choices; the limit is 25", c.Name, len(c.Choices))
	}
	if c.Autocomplete && len(c.Choices) > 0 {
		return fmt.Errorf("%s: autocomplete with choices", c.Name)
	}
	optional := false
	seen := map[string]bool{}
	for _, o := range c.Options {
		if seen[o.Name] {
			return fmt.Errorf("%s: option %q twice", c.Name, o.Name)
		}
		seen[o.Name] = true
		if o.Type == 1 || o.Type == 2 {
			if depth >= 2 || (o.Type == 2 && depth >= 1) {
				return fmt.Errorf("%s: subcommands nested too deep", c.Name)
			}
		}
		if o.Required && optional {
			return fmt.Errorf("%s: required option %q after an optional one", c.Name, o.Name)
		}
		if !o.Required {
			optional = true
		}
		if err := validateCommand(o, depth+1); err != nil {
			return err
		}
	}
	return nil
}
