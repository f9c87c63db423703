package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Sign returns the X-Slack-Signature Slack sends with body at timestamp ts:
// "v0=" and the hex HMAC-SHA256 of "v0:<ts>:<body>" under the signing secret.
// https://docs.slack.dev/authentication/verifying-requests-from-slack
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// SignedRequest builds the POST Slack would send to endpoint with a form
// body, signed at time at.
func SignedRequest(secret, endpoint string, form url.Values, at time.Time) *http.Request {
	body := []byte(form.Encode())
	req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, at.Unix(), body))
	return req
}

// Slash is a slash command invocation.
// https://docs.slack.dev/interactivity/implementing-slash-commands
type Slash struct {
	Command, Text, UserID, UserName, ChannelID, ResponseURL, TriggerID string
}

// Fields returns the command's fields as Slack sends them.
func (c Slash) Fields() map[string]string {
	return map[string]string{
		"token": "deprecated-verification-token", "team_id": "T0FAKE", "team_domain": "fake",
		"channel_id": c.ChannelID, "channel_name": "ops", "user_id": c.UserID, "user_name": c.UserName,
		"command": c.Command, "text": c.Text, "api_app_id": "A0FAKE", "is_enterprise_install": "false",
		"response_url": c.ResponseURL, "trigger_id": c.TriggerID,
	}
}

// Form returns the command as the HTTP form body.
func (c Slash) Form() url.Values {
	v := url.Values{}
	for k, s := range c.Fields() {
		v.Set(k, s)
	}
	return v
}

// InteractionForm wraps an interaction payload as the HTTP form body.
func InteractionForm(payload any) url.Values {
	raw, _ := json.Marshal(payload)
	return url.Values{"payload": {string(raw)}}
}

// Click is a click on a button of a message.
// https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
type Click struct {
	UserID, UserName, ChannelID, MessageTS            string
	ActionID, Value, ActionTS, ResponseURL, TriggerID string
}

// Payload returns the block_actions payload of the click.
func (c Click) Payload() map[string]any {
	return map[string]any{
		"type": "block_actions", "api_app_id": "A0FAKE", "token": "deprecated-verification-token",
		"team":       map[string]any{"id": "T0FAKE", "domain": "fake"},
		"user":       map[string]any{"id": c.UserID, "username": c.UserName, "name": c.UserName, "team_id": "T0FAKE"},
		"container":  map[string]any{"type": "message", "message_ts": c.MessageTS, "channel_id": c.ChannelID, "is_ephemeral": false},
		"channel":    map[string]any{"id": c.ChannelID, "name": "ops"},
		"message":    map[string]any{"type": "message", "ts": c.MessageTS, "text": "approval"},
		"trigger_id": c.TriggerID, "response_url": c.ResponseURL,
		"actions": []map[string]any{{
			"type": "button", "action_id": c.ActionID, "block_id": "b1", "value": c.Value,
			"text": map[string]any{"type": "plain_text", "text": "Approve"}, "action_ts": c.ActionTS,
		}},
		"state": map[string]any{"values": map[string]any{}},
	}
}

// Submit is the submission of a modal view.
// https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
type Submit struct {
	UserID, UserName, ViewID, Hash, TriggerID string
	View                                      View
	Values                                    map[string]string // block_id -> value typed or selected; others keep their initial value
}

// Payload returns the view_submission payload.
func (s Submit) Payload() map[string]any {
	return map[string]any{
		"type": "view_submission", "api_app_id": "A0FAKE", "token": "deprecated-verification-token",
		"team":       map[string]any{"id": "T0FAKE", "domain": "fake"},
		"user":       map[string]any{"id": s.UserID, "username": s.UserName, "name": s.UserName, "team_id": "T0FAKE"},
		"trigger_id": s.TriggerID,
		"view": map[string]any{
			"id": s.ViewID, "type": "modal", "callback_id": s.View.CallbackID, "hash": s.Hash,
			"private_metadata": s.View.PrivateMetadata, "blocks": s.View.Blocks, "title": s.View.Title,
			"state": map[string]any{"values": stateValues(s.View, s.Values)},
		},
		"response_urls": []any{},
	}
}

// stateValues fills a view's state as Slack does on submit: every input's
// value, the typed one where given, else its initial value.
func stateValues(v View, typed map[string]string) map[string]any {
	var blocks []struct {
		Type    string `json:"type"`
		BlockID string `json:"block_id"`
		Element struct {
			Type          string `json:"type"`
			ActionID      string `json:"action_id"`
			InitialValue  string `json:"initial_value"`
			InitialOption *struct {
				Value string `json:"value"`
			} `json:"initial_option"`
		} `json:"element"`
	}
	_ = json.Unmarshal(v.Blocks, &blocks)
	out := map[string]any{}
	for _, b := range blocks {
		if b.Type != "input" {
			continue
		}
		e := b.Element
		val, ok := typed[b.BlockID]
		if !ok {
			val = e.InitialValue
			if e.InitialOption != nil {
				val = e.InitialOption.Value
			}
		}
		var state map[string]any
		switch e.Type {
		case "static_select":
			state = map[string]any{"type": e.Type, "selected_option": nil}
			if val != "" {
				state["selected_option"] = map[string]any{"value": val, "text": map[string]any{"type": "plain_text", "text": val}}
			}
		default:
			state = map[string]any{"type": e.Type, "value": val}
			if val == "" {
				state["value"] = nil
			}
		}
		out[b.BlockID] = map[string]any{e.ActionID: state}
	}
	return out
}
