package mattermost

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestAlertRestartButton(t *testing.T) {
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		if text == "supervisor restart web" {
			return pending("rs42ab")
		}
		return ops.Result{Status: ops.StatusInvalid, Message: "unexpected " + text}
	})
	al := alert.Alert{Kind: alert.KindProgram, Host: "web-01", Program: "web", State: "FATAL", Count: 1,
		First: time.Now(), Last: time.Now(), LogTail: "boom @channel\n", Action: "supervisor restart web"}
	ref, err := h.a.PostAlert(t.Context(), al)
	if err != nil {
		t.Fatal(err)
	}
	ch, id, err := chat.ParseAlertRef(ref)
	if err != nil || ch != notify {
		t.Fatalf("ref %q: %v", ref, err)
	}
	p, _ := h.fake.Post(id)
	if !slices.Equal(p.Buttons(), []string{"Restart"}) || !strings.Contains(p.Message, "web on web-01 is FATAL") {
		t.Fatalf("alert post: %+v", p)
	}
	since := h.fake.Seq()
	c, err := h.fake.Click(p, "Restart", alice)
	if err != nil || c.Status != 200 || !strings.Contains(c.Response.EphemeralText, "rs42ab") {
		t.Fatalf("click: %v %+v", err, c)
	}
	h.posted("rs42ab")
	req := h.waitPost(since, "the approval request", func(p mmfake.Post) bool { return p.Via == "api" && p.ChannelID == notify })
	if !slices.Equal(req.Buttons(), []string{"Approve", "Deny"}) {
		t.Errorf("approval request: %+v", req)
	}

	al.Recovered = true
	since = h.fake.Seq()
	if err := h.a.PostRecovery(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	rec := h.waitPost(since, "the recovery", func(p mmfake.Post) bool { return p.RootID == id })
	if len(rec.Buttons()) != 0 || !strings.Contains(rec.Message, "recovered") {
		t.Errorf("recovery: %+v", rec)
	}
}

func TestHealthFollowsTheRESTAPI(t *testing.T) {
	h := newHarness(t, okAnswer)
	if c := h.a.Health(); !c.OK {
		t.Fatalf("before any call: %+v", c)
	}
	h.fake.Close() // Mattermost goes away
	if _, err := h.a.PostAlert(t.Context(), alert.Alert{Host: "web-01", Program: "web", State: "FATAL"}); err == nil {
		t.Fatal("posted to a closed server")
	}
	if c := h.a.Health(); c.OK || !strings.Contains(c.Info, "REST API") {
		t.Errorf("after a failed call: %+v", c)
	}
}
