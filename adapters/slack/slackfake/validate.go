package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Slack's documented Block Kit limits, checked the way Slack checks them:
// on the wire JSON, in characters. A request that breaks one is answered
// invalid_blocks, as Slack would.
const (
	maxMessageBlocks = 50   // https://docs.slack.dev/reference/block-kit/blocks
	maxModalBlocks   = 100  // https://docs.slack.dev/reference/views/modal-views
	maxTextObject    = 3000 // https://docs.slack.dev/reference/block-kit/composition-objects/text-object
	maxSectionFields = 10   // https://docs.slack.dev/reference/block-kit/blocks/section-block
	maxFieldText     = 2000
	maxHeaderText    = 150 // https://docs.slack.dev/reference/block-kit/blocks/header-block
	maxContextElems  = 10  // https://docs.slack.dev/reference/block-kit/blocks/context-block
	maxActionsElems  = 25  // https://docs.slack.dev/reference/block-kit/blocks/actions-block
	maxButtonText    = 75  // https://docs.slack.dev/reference/block-kit/block-elements/button-element
	maxButtonValue   = 2000
	maxID            = 255
	maxModalTitle    = 24   // https://docs.slack.dev/reference/views/modal-views
	maxPrivateMeta   = 3000 // https://docs.slack.dev/reference/views/modal-views
	maxInputValue    = 3000 // https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
	maxLabel         = 2000 // https://docs.slack.dev/reference/block-kit/blocks/input-block
	maxOptions       = 100  // https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
	maxOptionText    = 75   // https://docs.slack.dev/reference/block-kit/composition-objects/option-object
	maxOptionValue   = 150
	maxMessageText   = 40000 // https://docs.slack.dev/reference/methods/chat.postMessage
)

type text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type         string `json:"type"`
	ActionID     string `json:"action_id"`
	Text         *text  `json:"text"`
	Value        string `json:"value"`
	InitialValue string `json:"initial_value"`
	MaxLength    int    `json:"max_length"`
	Options      []struct {
		Text  text   `json:"text"`
		Value string `json:"value"`
	} `json:"options"`
}

type block struct {
	Type     string            `json:"type"`
	BlockID  string            `json:"block_id"`
	Text     *text             `json:"text"`
	Fields   []text            `json:"fields"`
	Elements []json.RawMessage `json:"elements"`
	Label    *text             `json:"label"`
	Element  *element          `json:"element"`
}

func chars(s string) int { return utf8.RuneCountInString(s) }

func checkText(where string, t *text, max int, plainOnly bool) error {
	if t == nil {
		return fmt.Errorf("%s: text is missing", where)
	}
	if t.Type != "plain_text" && (plainOnly || t.Type != "mrkdwn") {
		return fmt.Errorf("%s: text type %q", where, t.Type)
	}
	if n := chars(t.Text); n < 1 || n > max {
		return fmt.Errorf("%s: text of %d characters (1 to %d allowed)", where, n, max)
	}
	return nil
}

// ValidateBlocks checks blocks (JSON) against Slack's limits for a message
// (modal false) or a modal view (modal true).
func ValidateBlocks(raw json.RawMessage, modal bool) error {
	var blocks []block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("blocks: %w", err)
	}
	max := maxMessageBlocks
	if modal {
		max = maxModalBlocks
	}
	if len(blocks) > max {
		return fmt.Errorf("%d blocks (at most %d)", len(blocks), max)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		// An action_id is unique within its block.
		// https://docs.slack.dev/reference/block-kit/block-elements/button-element
		actions := map[string]bool{}
		where := fmt.Sprintf("blocks[%d] (%s)", i, b.Type)
		if b.BlockID != "" {
			if ids[b.BlockID] || chars(b.BlockID) > maxID {
				return fmt.Errorf("%s: block_id %q repeated or too long", where, b.BlockID)
			}
			ids[b.BlockID] = true
		}
		if err := checkBlock(where, b, actions); err != nil {
			return err
		}
	}
	return nil
}

func checkBlock(where string, b block, actions map[string]bool) error {
	switch b.Type {
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return fmt.Errorf("%s: neither text nor fields", where)
		}
		if b.Text != nil {
			if err := checkText(where, b.Text, maxTextObject, false); err != nil {
				return err
			}
		}
		if len(b.Fields) > maxSectionFields {
			return fmt.Errorf("%s: %d fields", where, len(b.Fields))
		}
		for _, f := range b.Fields {
			if err := checkText(where+" field", &f, maxFieldText, false); err != nil {
				return err
			}
		}
	case "header":
		return checkText(where, b.Text, maxHeaderText, true)
	case "divider":
	case "context":
		if len(b.Elements) < 1 || len(b.Elements) > maxContextElems {
			return fmt.Errorf("%s: %d elements", where, len(b.Elements))
		}
		for _, raw := range b.Elements {
			var t text
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if err := checkText(where, &t, maxTextObject, false); err != nil {
				return err
			}
		}
	case "actions":
		if len(b.Elements) < 1 || len(b.Elements) > maxActionsElems {
			return fmt.Errorf("%s: %d elements", where, len(b.Elements))
		}
		for _, raw := range b.Elements {
			var e element
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if err := checkElement(where, e, actions); err != nil {
				return err
			}
		}
	case "input":
		if err := checkText(where+" label", b.Label, maxLabel, true); err != nil {
			return err
		}
		if b.Element == nil {
			return fmt.Errorf("%s: no element", where)
		}
		return checkElement(where, *b.Element, actions)
	default:
		return fmt.Errorf("%s: a block type this fake does not know", where)
	}
	return nil
}

func checkElement(where string, e element, actions map[string]bool) error {
	if e.ActionID != "" {
		if actions[e.ActionID] || chars(e.ActionID) > maxID {
			return fmt.Errorf("%s: action_id %q repeated or too long", where, e.ActionID)
		}
		actions[e.ActionID] = true
	}
	switch e.Type {
	case "button":
		if err := checkText(where+" button", e.Text, maxButtonText, true); err != nil {
			return err
		}
		if chars(e.Value) > maxButtonValue {
			return fmt.Errorf("%s: button value of %d characters", where, chars(e.Value))
		}
	case "plain_text_input":
		if chars(e.InitialValue) > maxInputValue || e.MaxLength > maxInputValue {
			return fmt.Errorf("%s: input value longer than %d", where, maxInputValue)
		}
	case "static_select":
		if len(e.Options) < 1 || len(e.Options) > maxOptions {
			return fmt.Errorf("%s: %d options", where, len(e.Options))
		}
		for _, o := range e.Options {
			if err := checkText(where+" option", &o.Text, maxOptionText, true); err != nil {
				return err
			}
			if chars(o.Value) > maxOptionValue {
				return fmt.Errorf("%s: option value too long", where)
			}
		}
	default:
		return fmt.Errorf("%s: element type %q this fake does not know", where, e.Type)
	}
	return nil
}

// View is the part of a modal view the fake checks and records.
type View struct {
	Type            string          `json:"type"`
	Title           *text           `json:"title"`
	Submit          *text           `json:"submit"`
	Close           *text           `json:"close"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
}

// ValidateView checks a modal view against Slack's limits.
func ValidateView(v View) error {
	if v.Type != "modal" {
		return fmt.Errorf("view type %q", v.Type)
	}
	if err := checkText("title", v.Title, maxModalTitle, true); err != nil {
		return err
	}
	for name, t := range map[string]*text{"submit": v.Submit, "close": v.Close} {
		if t != nil {
			if err := checkText(name, t, maxModalTitle, true); err != nil {
				return err
			}
		}
	}
	if chars(v.PrivateMetadata) > maxPrivateMeta || chars(v.CallbackID) > maxID {
		return fmt.Errorf("private_metadata or callback_id too long")
	}
	return ValidateBlocks(v.Blocks, true)
}
