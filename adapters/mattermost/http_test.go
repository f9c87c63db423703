package mattermost

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func okAnswer(_ ops.Actor, text string) ops.Result {
	return ops.Result{Status: ops.StatusOK, Operation: "ops.whoami", Message: "ran " + text}
}

func TestSlashCommandTokens(t *testing.T) {
	tests := []struct {
		name, token, cmd string
		status           int
		ran              string // "" when nothing may run
	}{
		{"right token", "tok-sup", "/supervisor", http.StatusOK, "supervisor status"},
		{"wrong token", "tok-nope", "/supervisor", http.StatusUnauthorized, ""},
		{"missing token", "", "/supervisor", http.StatusUnauthorized, ""},
		{"a token's prefix", "tok-su", "/supervisor", http.StatusUnauthorized, ""},
		// The token says which command it is, whatever its trigger word.
		{"renamed trigger word", "tok-sup", "/sv", http.StatusOK, "supervisor status"},
		{"another command's token", "tok-ops", "/supervisor", http.StatusOK, "ops status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, okAnswer)
			ans := h.command(alice, tt.token, tt.cmd, "status")
			if ans.Status != tt.status {
				t.Fatalf("HTTP %d, want %d: %s", ans.Status, tt.status, ans.Raw)
			}
			ran := h.run.calls()
			if tt.ran == "" {
				if len(ran) != 0 {
					t.Errorf("a refused command ran %v", ran)
				}
				return
			}
			if !slices.Equal(ran, []string{tt.ran}) || ans.Response.ResponseType != Ephemeral || !strings.Contains(ans.Response.Text, "ran "+tt.ran) {
				t.Errorf("ran %v, answered %+v", ran, ans.Response)
			}
			if by := h.run.by[0]; by.Platform != "mattermost" || by.ID != alice.ID || by.Channel != channel {
				t.Errorf("ran as %+v", by)
			}
		})
	}
}

// memClaims is a Claimer in memory.
type memClaims struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memClaims) Claim(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[key] {
		return false, nil
	}
	m.seen[key] = true
	return true, nil
}

func TestSlashCommandRetryRunsOnce(t *testing.T) {
	h := newHarness(t, okAnswer)
	h.a.claims = &memClaims{seen: map[string]bool{}}
	o := origin{Channel: channel, User: alice.ID}
	first := h.a.command(t.Context(), "ops", "whoami", alice.ID, "alice", "trigger-1", o)
	again := h.a.command(t.Context(), "ops", "whoami", alice.ID, "alice", "trigger-1", o)
	if !strings.Contains(first.Text, "ran ops whoami") || !strings.Contains(again.Text, "already received") {
		t.Errorf("first %+v, again %+v", first, again)
	}
	if ran := h.run.calls(); len(ran) != 1 {
		t.Errorf("ran %v, want once", ran)
	}
}

func TestLateAnswerGoesToResponseURL(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		<-release
		return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.start", Message: "Started web."}
	})
	h.a.wait = 10 * time.Millisecond
	since := h.fake.Seq()
	ans := h.command(alice, "tok-sup", "/supervisor", "start web")
	if ans.Response.ResponseType != Ephemeral || !strings.Contains(ans.Response.Text, "Working on") {
		t.Fatalf("the acknowledgement: %+v", ans.Response)
	}
	close(release)
	p := h.waitPost(since, "the late answer", func(p mmfake.Post) bool { return p.Via == "response_url" })
	if p.For != "" || !strings.Contains(p.Message, "Started web.") || !strings.Contains(p.Message, "Asked by alice") {
		t.Errorf("a write that ran is for the channel, with who asked: %+v", p)
	}
}

func pending(id string) ops.Result {
	return ops.Result{Status: ops.StatusPending, Operation: "supervisor.program.restart", ApprovalID: id,
		Message: "Approval required for supervisor.program.restart web (request " + id + ").",
		Data: map[string]any{"approval": map[string]any{"id": id, "operation": map[string]any{"name": "supervisor.program.restart", "target": "web"},
			"requester": map[string]any{"platform": "mattermost", "id": olga.ID, "name": "olga"}, "state": "pending"}}}
}

func TestApprovalDecisionUpdatesEveryPost(t *testing.T) {
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		switch {
		case text == "supervisor restart web":
			return pending("ab12cd")
		case text == "ops approve ab12cd" && a.ID == olga.ID:
			return ops.Result{Status: ops.StatusConflict, Operation: "ops.approve", Message: "Refused: you requested ab12cd; another approver decides."}
		case text == "ops approve ab12cd":
			return ops.Result{Status: ops.StatusOK, Operation: "ops.approve", ApprovalID: "ab12cd", Message: "Approved ab12cd by mattermost:" + a.ID}
		}
		return ops.Result{Status: ops.StatusInvalid, Message: "unexpected " + text}
	})
	since := h.fake.Seq()
	ans := h.command(olga, "tok-sup", "/supervisor", "restart web")
	if !strings.Contains(ans.Response.Text, "Approval request `ab12cd` is posted") {
		t.Fatalf("answer: %+v", ans.Response)
	}
	h.posted("ab12cd")
	inChannel := h.waitPost(since, "the request in the channel", func(p mmfake.Post) bool { return p.ChannelID == channel && p.Via == "api" })
	inNotify := h.waitPost(since, "the request in the notify channel", func(p mmfake.Post) bool { return p.ChannelID == notify && p.Via == "api" })
	if !slices.Equal(inChannel.Buttons(), []string{"Approve", "Deny"}) || !slices.Equal(inNotify.Buttons(), []string{"Approve", "Deny"}) {
		t.Fatalf("buttons: %v %v", inChannel.Buttons(), inNotify.Buttons())
	}

	// The requester's own click is refused and changes nothing.
	c, err := h.fake.Click(inChannel, "Approve", olga)
	if err != nil || c.Status != 200 || c.Response.Update != nil || !strings.Contains(c.Response.EphemeralText, "another approver") {
		t.Fatalf("self-approval: %v %+v", err, c)
	}
	// Another approver's click replaces the clicked post, and the copy.
	since = h.fake.Seq()
	c, err = h.fake.Click(inChannel, "Approve", alice)
	if err != nil || c.Status != 200 || c.Response.Update == nil {
		t.Fatalf("approval: %v %+v", err, c)
	}
	if got, _ := h.fake.Post(inChannel.ID); len(got.Buttons()) != 0 || !strings.Contains(got.Message, "Decided by alice") {
		t.Errorf("the clicked request: %+v", got)
	}
	copyPost := h.waitPost(since, "the notify copy updated", func(p mmfake.Post) bool { return p.ID == inNotify.ID })
	if len(copyPost.Buttons()) != 0 || !strings.Contains(copyPost.Message, "Approved ab12cd") {
		t.Errorf("the copy: %+v", copyPost)
	}
}

func TestForgedActionsAreRefused(t *testing.T) {
	h := newHarness(t, okAnswer)
	good := h.a.sign.context(channel, "supervisor restart web")
	other := h.a.sign.context(notify, "supervisor restart web")
	post := mmfake.Post{ID: mmfake.NewID(), ChannelID: channel}
	tests := []struct {
		name string
		ctx  map[string]any
	}{
		{"no context", nil},
		{"no signature", map[string]any{"command": "supervisor restart web"}},
		{"made-up signature", map[string]any{"command": "supervisor restart web", "sig": strings.Repeat("ab", 32)}},
		{"signature of another command", map[string]any{"command": "ops approve zz99zz", "sig": good.Sig}},
		{"signed for another channel", map[string]any{"command": other.Command, "sig": other.Sig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := h.fake.CallAction(h.base+actionsPath, post, tt.ctx, alice)
			if err != nil || c.Status != http.StatusUnauthorized {
				t.Errorf("HTTP %d %v: %s", c.Status, err, c.Raw)
			}
		})
	}
	if ran := h.run.calls(); len(ran) != 0 {
		t.Errorf("forged clicks ran %v", ran)
	}
	c, err := h.fake.CallAction(h.base+actionsPath, post, map[string]any{"command": good.Command, "sig": good.Sig}, alice)
	if err != nil || c.Status != 200 || !slices.Equal(h.run.calls(), []string{"supervisor restart web"}) {
		t.Errorf("a signed click: HTTP %d %v %v", c.Status, err, h.run.calls())
	}
}

func TestApprovalRequestOutsideTheBotsChannels(t *testing.T) {
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		if text == "supervisor restart web" {
			return pending("cd34ef")
		}
		return ops.Result{Status: ops.StatusOK, Operation: "ops.approve", ApprovalID: "cd34ef", Message: "Approved cd34ef."}
	})
	h.fake.LeaveChannel(channel)
	since := h.fake.Seq()
	h.command(olga, "tok-sup", "/supervisor", "restart web")
	h.posted("cd34ef")
	req := h.waitPost(since, "the request by the response_url", func(p mmfake.Post) bool {
		return p.Via == "response_url" && p.ChannelID == channel
	})
	if !slices.Equal(req.Buttons(), []string{"Approve", "Deny"}) || req.For != "" {
		t.Fatalf("request: %+v", req)
	}
	c, err := h.fake.Click(req, "Approve", alice)
	if err != nil || c.Response.Update == nil {
		t.Fatalf("%v %+v", err, c)
	}
	if got, _ := h.fake.Post(req.ID); len(got.Buttons()) != 0 {
		t.Errorf("the clicked request keeps its buttons: %+v", got)
	}
}
