package mattermost

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// A write answered in the channel that holds something for its requester
// alone (xmlrpc set's generated password): the channel sees the answer
// without it, and the requester gets it in an ephemeral post, never in a
// stored one. It was dropped before.
func TestPrivatePartOfAChannelAnswer(t *testing.T) {
	const password = "pw-0123456789abcdef"
	h := newHarness(t, func(actor ops.Actor, text string) ops.Result {
		return ops.Result{Status: ops.StatusOK, Operation: "supervisor.xmlrpc.set", Message: "Set [inet_http_server]; a new password was generated.",
			Private: &ops.Private{To: actor, Text: "New XML-RPC password: " + password}}
	})
	ans := h.command(alice, tokens["supervisor"], "/supervisor", "xmlrpc set --ip 127.0.0.1 --port 9001 --username ops")
	if ans.Response.ResponseType != InChannel || strings.Contains(ans.Raw, password) {
		t.Fatalf("the channel's answer: %+v", ans)
	}
	p := h.waitPost(0, "the requester's ephemeral post", func(p mmfake.Post) bool { return strings.Contains(p.Message, password) })
	if p.Via != "ephemeral" || p.For != alice.ID || p.ChannelID != channel {
		t.Errorf("the password went as %+v; want an ephemeral post for %s in %s", p, alice.ID, channel)
	}
	for _, q := range h.fake.Posts() {
		if strings.Contains(q.Message, password) && q.Via != "ephemeral" {
			t.Errorf("the password is in a stored post: %+v", q)
		}
	}
}
