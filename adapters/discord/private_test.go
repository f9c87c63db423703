package discord

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
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

func xmlrpcCommand(who discordfake.Member, port int) map[string]any {
	return discordfake.Command(discordfake.TypeCommand, appID, guild, channel, who, "supervisor", []string{"xmlrpc", "set"},
		discordfake.Opt{Name: "ip", Value: "127.0.0.1"}, discordfake.Opt{Name: "port", Value: port},
		discordfake.Opt{Name: "username", Value: "ops"})
}

// passwordCalls returns the calls since seq that carry the password, and
// fails on any that is not ephemeral or not through token (the
// requester's own interaction).
func passwordCalls(t *testing.T, h *harness, seq int, token string) []discordfake.Call {
	t.Helper()
	var out []discordfake.Call
	for _, c := range h.fake.Calls(seq) {
		if !strings.Contains(string(c.Body), newPassword) {
			continue
		}
		if c.Token != token || c.Msg.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
			t.Errorf("the password reached someone other than the requester: %s %s %s", c.Method, c.Path, c.Body)
		}
		out = append(out, c)
	}
	if strings.Contains(h.log.String(), newPassword) {
		t.Error("the password is in the adapter's log")
	}
	return out
}

func TestXMLRPCPasswordOnlyToTheRequester(t *testing.T) {
	h := newHarness(t)
	seq := h.fake.Seq()
	in := xmlrpcCommand(alice, 9001)
	r := h.interact(in)
	m := r.msg(t)
	if r.Type != 4 || m.Flags&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(m.Text(), newPassword) {
		t.Fatalf("the requester's answer should be ephemeral and hold the password: type %d flags %d %s", r.Type, m.Flags, m.Text())
	}
	public := h.wait(seq, "the channel's answer", func(c discordfake.Call) bool {
		return c.Method == http.MethodPost && c.Token == in["token"] && c.Msg.Flags == 0
	})
	if !strings.Contains(public.Msg.Text(), "went to the requester") || strings.Contains(string(public.Body), newPassword) {
		t.Errorf("the channel's answer: %s", public.Body)
	}
	passwordCalls(t, h, seq, in["token"].(string))
}

func TestXMLRPCPasswordAfterApprovalGoesToTheRequester(t *testing.T) {
	h := newHarness(t)
	seq := h.fake.Seq()
	asked := xmlrpcCommand(alice, 9002)
	req := h.interact(asked).msg(t)
	if len(req.Buttons()) != 2 {
		t.Fatalf("xmlrpc set on 9002 should wait for approval: %s", req.Text())
	}
	h.wait(seq, "the request's response looked up", func(c discordfake.Call) bool {
		return c.Method == http.MethodGet && strings.HasSuffix(c.Path, "/messages/@original")
	})
	// The copy in the notify channel is posted once the response is
	// remembered: only then does a click find the requester's token.
	h.wait(seq, "the request's copy in the notify channel", func(c discordfake.Call) bool {
		return c.Method == http.MethodPost && strings.Contains(c.Path, "channels/"+notify+"/messages")
	})
	seq = h.fake.Seq()
	click := discordfake.Click(appID, guild, channel, bob, "600000000000000001", req.Buttons()[0].CustomID)
	decided := h.interact(click)
	if strings.Contains(string(decided.Data), newPassword) {
		t.Errorf("the approver's answer shows the password: %s", decided.Data)
	}
	mine := h.wait(seq, "the password for the requester", func(c discordfake.Call) bool {
		return strings.Contains(string(c.Body), newPassword)
	})
	if mine.Method != http.MethodPost || mine.Token != asked["token"] {
		t.Errorf("the password went by %s %s, want a follow-up of the requester's interaction", mine.Method, mine.Path)
	}
	if n := len(passwordCalls(t, h, seq, asked["token"].(string))); n != 1 {
		t.Errorf("the requester got the password %d times, want once", n)
	}
}

// TestXMLRPCPasswordAfterTheTokenExpired: an approval may be decided after
// the requester's interaction token has expired; the password then goes
// to the requester as a direct message, still never to the approver.
func TestXMLRPCPasswordAfterTheTokenExpired(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	before, stop := h.served(t, openPosted(t, dir))
	seq := h.fake.Seq()
	asked := xmlrpcCommand(alice, 9002)
	req := before.interact(asked).msg(t)
	h.wait(seq, "the request's response looked up", func(c discordfake.Call) bool {
		return c.Method == http.MethodGet && strings.HasSuffix(c.Path, "/messages/@original")
	})
	stop()

	later := func() time.Time { return time.Now().Add(16 * time.Minute) }
	after, _ := h.servedAt(t, openPosted(t, dir), later)
	seq = h.fake.Seq()
	after.interact(discordfake.Click(appID, guild, channel, bob, "600000000000000001", req.Buttons()[0].CustomID))
	dm := h.wait(seq, "the direct message to alice", func(c discordfake.Call) bool { return strings.Contains(string(c.Body), newPassword) })
	if dm.Channel != "dm-"+alice.ID {
		t.Errorf("the password went by %s %s, want a direct message to alice", dm.Method, dm.Path)
	}
	for _, c := range h.fake.Calls(seq) {
		if strings.Contains(string(c.Body), newPassword) && c.Seq != dm.Seq {
			t.Errorf("the password reached more than alice: %s %s", c.Method, c.Path)
		}
	}
}
