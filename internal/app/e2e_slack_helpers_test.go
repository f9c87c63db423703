package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

const (
	slackSecret  = "e2e-signing-secret"
	slackBot     = "xoxb-e2e"
	slackApp     = "xapp-e2e"
	slackChannel = "C0OPS"
	slackNotify  = "C0ALERTS"
	slackWait    = settle
)

// The Slack people of the end-to-end tests: alice and bob are admins by user
// ID, olga an operator through the user group S0OPS, vic a viewer.
var (
	sAlice = slackfake.Slash{UserID: "U0ALICE", UserName: "alice"}
	sBob   = slackfake.Slash{UserID: "U0BOB", UserName: "bob"}
	sOlga  = slackfake.Slash{UserID: "U0OLGA", UserName: "olga"}
	sVic   = slackfake.Slash{UserID: "U0VIC", UserName: "vic"}
)

// slackEnv is a real supervisord, a fake Slack and `poolvisor serve`
// between them, in HTTP or Socket Mode.
type slackEnv struct {
	*env
	fake *slackfake.Server
	base string // http://addr of serve
	logs *logBuffer
	envs atomic.Int32
}

func newSlackEnv(t *testing.T, mode string, progs ...sandbox.Program) *slackEnv {
	t.Helper()
	return newSlackEnvWith(t, mode, "", progs...)
}

// newSlackEnvWith is newSlackEnv with more YAML at the end of the config
// (security keys come from the file only, never from the environment).
func newSlackEnvWith(t *testing.T, mode, extra string, progs ...sandbox.Program) *slackEnv {
	t.Helper()
	fake := newSlackFake(t)
	sv := sandbox.Supervisor(t, progs...)
	addr := freeAddr(t)
	path := e2eConfig{listen: addr, log: "debug", sv: sv, sections: slackSection(mode, fake),
		bindings: []string{
			"{role: admin, slack_users: [U0ALICE, U0BOB], local_users: [alice]}",
			"{role: operator, slack_usergroups: [S0OPS]}",
			"{role: viewer, slack_users: [U0VIC], local_users: [vic]}",
		},
		extra: extra,
	}.write(t)
	se := &slackEnv{env: &env{t: t, config: path, sv: sv}, fake: fake, base: "http://" + addr}
	se.logs = startServe(t, path, se.base)
	if mode == "socket" {
		if err := fake.WaitSocket(settle, 1); err != nil {
			t.Fatalf("%v\n%s", err, se.logs.String())
		}
	}
	return se
}

// slash is who typing text after a slash command in the ops channel. It
// returns the command as sent.
func (se *slackEnv) slashCmd(who slackfake.Slash, text string) slackfake.Slash {
	c := who
	w := strings.Fields(text)
	c.Command, c.Text = "/"+w[0], strings.TrimSpace(strings.TrimPrefix(text, w[0]))
	c.ChannelID, c.ResponseURL, c.TriggerID = slackChannel, se.fake.ResponseURL(), se.fake.Trigger()
	return c
}

// post sends a form to serve, signed at time at unless mutate changes it.
func (se *slackEnv) post(path string, form url.Values, mutate ...func(*http.Request)) (int, string) {
	se.t.Helper()
	req := slackfake.SignedRequest(slackSecret, se.base+path, form, time.Now())
	for _, m := range mutate {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		se.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(bytes.TrimSpace(body))
}

// answer is the immediate answer of a slash command or an interaction.
type answer struct {
	ResponseType   string            `json:"response_type"`
	Text           string            `json:"text"`
	Blocks         json.RawMessage   `json:"blocks"`
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

func (a answer) all() string { return a.Text + "\n" + string(slackfake.Readable(a.Blocks)) }

func decodeAnswer(t *testing.T, body string) answer {
	t.Helper()
	var a answer
	if body == "" || body == "null" {
		return a
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return a
}

// command runs a slash command over the transport of the env and returns
// the immediate answer.
func (se *slackEnv) command(mode string, who slackfake.Slash, text string) answer {
	se.t.Helper()
	c := se.slashCmd(who, text)
	if mode == "socket" {
		return decodeAnswer(se.t, string(se.envelope("slash_commands", c.Fields())))
	}
	code, body := se.post("/slack/commands", c.Form())
	if code != 200 {
		se.t.Fatalf("%q: HTTP %d %s", text, code, body)
	}
	return decodeAnswer(se.t, body)
}

// interact sends an interaction payload over the transport of the env.
func (se *slackEnv) interact(mode string, payload map[string]any, mutate ...func(*http.Request)) answer {
	se.t.Helper()
	if mode == "socket" {
		return decodeAnswer(se.t, string(se.envelope("interactive", payload)))
	}
	code, body := se.post("/slack/interactions", slackfake.InteractionForm(payload), mutate...)
	if code != 200 {
		se.t.Fatalf("interaction: HTTP %d %s", code, body)
	}
	return decodeAnswer(se.t, body)
}

func (se *slackEnv) envelope(typ string, payload any) json.RawMessage {
	se.t.Helper()
	id := fmt.Sprintf("e2e-env-%d", se.envs.Add(1))
	if err := se.fake.SendEnvelope(id, typ, payload, 0); err != nil {
		se.t.Fatal(err)
	}
	ack, err := se.fake.WaitAck(slackWait, id)
	if err != nil {
		se.t.Fatal(err)
	}
	return ack
}

func (se *slackEnv) wait(since int, what string, match func(slackfake.Message) bool) slackfake.Message {
	se.t.Helper()
	m, err := se.fake.Wait(slackWait, since, match)
	if err != nil {
		se.t.Fatalf("waiting for %s: %v", what, err)
	}
	return m
}

// click is who clicking a button of message m.
func click(who slackfake.Slash, m slackfake.Message, actionID, actionTS, responseURL string) map[string]any {
	c := slackfake.Click{UserID: who.UserID, UserName: who.UserName, ChannelID: m.Channel, MessageTS: m.TS,
		ActionID: actionID, ActionTS: actionTS, ResponseURL: responseURL}
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			c.Value = b.Value
		}
	}
	return c.Payload()
}
