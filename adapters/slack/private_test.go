package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// xmlrpcSet stands in for supervisor xmlrpc set: its answer has a new
// password for the requester alone. Port 9002 needs an approval.
type xmlrpcSet struct{}

// newPassword is what xmlrpcSet generates; no message but the requester's may hold it.
const newPassword = "pw-Zq8xK2mN4vR7tY1s"

func (xmlrpcSet) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	port, _ := req.Op.Get("port")
	return &ops.Plan{Summary: "set [inet_http_server] port " + port, Fingerprint: "fp", NeedsApproval: port == "9002",
		Apply: func(context.Context) (ops.Outcome, error) {
			return ops.Outcome{Message: "XML-RPC over TCP set; the new password went to the requester alone.",
				Data: map[string]any{"xmlrpc": map[string]any{"password_set": true}}, Private: "New XML-RPC password: " + newPassword}, nil
		}}, nil
}

// checkOnlyTo fails when the password reached anyone but user, and
// returns the messages that showed it to user.
func checkOnlyTo(t *testing.T, h *harness, since int, user string, replies ...string) []slackfake.Message {
	t.Helper()
	for _, r := range replies {
		if strings.Contains(r, newPassword) {
			t.Errorf("an answer in the HTTP reply shows the password: %s", r)
		}
	}
	var mine []slackfake.Message
	for _, m := range h.fake.Messages() {
		if m.Seq <= since || !strings.Contains(m.All(), newPassword) {
			continue
		}
		switch {
		case m.Kind == "ephemeral" && m.User == user:
			mine = append(mine, m)
		case m.Kind == "response" && m.ResponseType == "ephemeral" && user == alice.UserID:
			mine = append(mine, m) // the requester's own response_url: alice asked in these tests
		default:
			t.Errorf("the password reached someone other than %s: %+v", user, m)
		}
	}
	if strings.Contains(h.log.String(), newPassword) {
		t.Error("the password is in the adapter's log")
	}
	return mine
}

func TestXMLRPCPasswordOnlyToTheRequester(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	since := h.fake.Seq()
	_, body, _ := h.slash(alice, "xmlrpc set --ip 127.0.0.1 --port 9001 --username ops")
	r := decodeReply(t, body)
	if r.ResponseType != "in_channel" || !strings.Contains(r.Text, "went to the requester") {
		t.Fatalf("the channel's answer: %+v", r)
	}
	if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return strings.Contains(m.All(), newPassword) }); err != nil {
		t.Fatalf("the requester never saw the password: %v", err)
	}
	if mine := checkOnlyTo(t, h, since, alice.UserID, body); len(mine) != 1 {
		t.Errorf("the requester saw the password %d times, want once", len(mine))
	}
}

func TestXMLRPCPasswordAfterApprovalGoesToTheRequester(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	since := h.fake.Seq()
	_, body, _ := h.slash(alice, "xmlrpc set --ip 127.0.0.1 --port 9002 --username ops")
	if r := decodeReply(t, body); !strings.Contains(r.Text, "Approval request") {
		t.Fatalf("xmlrpc set on 9002: %+v", r)
	}
	req, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == channel })
	if err != nil {
		t.Fatal(err)
	}
	since = h.fake.Seq()
	_, clickBody := h.click(bob, req, actionApprove, "2.1")
	mine, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return strings.Contains(m.All(), newPassword) })
	if err != nil {
		t.Fatalf("the requester never saw the password: %v", err)
	}
	if mine.Kind != "ephemeral" || mine.User != alice.UserID || mine.Channel != channel {
		t.Errorf("the password went to %+v, want an ephemeral message to alice in %s", mine, channel)
	}
	if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.Channel == channel }); err != nil {
		t.Fatal(err)
	}
	checkOnlyTo(t, h, since, alice.UserID, clickBody)
}

// TestTypedSecretNotEchoedToTheChannel: Slack shows the typed command to
// the channel beside an in_channel answer; a command with a secret in it
// is answered to its author alone, and the channel gets the result as a
// message of its own, quoting the command with the secret masked.
func TestTypedSecretNotEchoedToTheChannel(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	since := h.fake.Seq()
	_, body, _ := h.slash(alice, `add w2 --command /bin/true --set environment=APP_ENV=prod,DB_PASSWORD=hunter2secret`)
	if r := decodeReply(t, body); r.ResponseType != "ephemeral" || strings.Contains(r.Text, "hunter2secret") {
		t.Fatalf("the immediate answer: %+v", r)
	}
	m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == channel })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.All(), "Updated w2") || !strings.Contains(m.All(), "DB_PASSWORD=••••") {
		t.Errorf("the channel's message: %s", m.All())
	}
	for _, m := range h.fake.Messages() {
		if m.Seq > since && strings.Contains(m.All(), "hunter2secret") {
			t.Errorf("a message shows the secret: %+v", m)
		}
	}
}
