package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

var envelopes atomic.Int32

// send delivers a Socket Mode envelope and returns its acknowledgement.
func (h *harness) send(typ string, payload any) (string, json.RawMessage) {
	h.t.Helper()
	id := fmt.Sprintf("env-%d", envelopes.Add(1))
	if err := h.fake.SendEnvelope(id, typ, payload, 0); err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.fake.WaitAck(wait, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return id, ack
}

func (h *harness) socketSlash(who slackfake.Slash, text string) (slackfake.Slash, json.RawMessage) {
	h.t.Helper()
	c := who
	c.Command, c.Text, c.ChannelID = "/supervisor", text, channel
	c.ResponseURL, c.TriggerID = h.fake.ResponseURL(), h.fake.Trigger()
	_, ack := h.send("slash_commands", c.Fields())
	return c, ack
}

func TestSocketMode(t *testing.T) {
	h := newHarness(t, ModeSocket)

	t.Run("status is answered in the acknowledgement", func(t *testing.T) {
		start := time.Now()
		_, ack := h.socketSlash(vic, "status")
		if r := decodeReply(t, string(ack)); r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "*web* `RUNNING`") {
			t.Errorf("ack: %s", ack)
		}
		// Logged, not asserted: on a busy machine any figure is a coin toss.
		t.Logf("acknowledged after %s (Slack allows %s)", time.Since(start), ackDeadline)
	})

	t.Run("a redelivered envelope is applied once", func(t *testing.T) {
		c := olga
		c.Command, c.Text, c.ChannelID, c.ResponseURL, c.TriggerID = "/supervisor", "stop web", channel, h.fake.ResponseURL(), h.fake.Trigger()
		before := h.b.restarts.Load()
		for retry := range 2 {
			if err := h.fake.SendEnvelope("env-again", "slash_commands", c.Fields(), retry); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(wait)
		for h.fake.Acks("env-again") < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if h.fake.Acks("env-again") != 2 {
			t.Errorf("acknowledgements: %d, want both deliveries acknowledged", h.fake.Acks("env-again"))
		}
		if got := h.b.restarts.Load() - before; got != 1 {
			t.Errorf("applied %d times", got)
		}
	})

	t.Run("approval buttons", func(t *testing.T) {
		since := h.fake.Seq()
		h.socketSlash(olga, "restart web")
		msg, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "post" && m.Channel == channel })
		if err != nil {
			t.Fatal(err)
		}
		before := h.b.restarts.Load()
		click := func(who slackfake.Slash, ts string) {
			c := slackfake.Click{UserID: who.UserID, UserName: who.UserName, ChannelID: channel, MessageTS: msg.TS,
				ActionID: actionApprove, Value: msg.Buttons()[0].Value, ActionTS: ts, ResponseURL: h.fake.ResponseURL()}
			if _, ack := h.send("interactive", c.Payload()); string(ack) != "null" {
				t.Errorf("a click is acknowledged without a payload, got %s", ack)
			}
		}
		since = h.fake.Seq()
		click(olga, "7.1")
		ephemeralFor(t, h, since, olga.UserID)
		click(bob, "7.2")
		if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return m.Kind == "update" && m.TS == msg.TS }); err != nil {
			t.Fatal(err)
		}
		if got := h.b.restarts.Load() - before; got != 1 {
			t.Errorf("restarts: %d", got)
		}
	})

	t.Run("forms", func(t *testing.T) {
		n := len(h.fake.Views())
		h.socketSlash(alice, "add")
		v, err := h.fake.WaitView(wait, n)
		if err != nil {
			t.Fatal(err)
		}
		s := slackfake.Submit{UserID: alice.UserID, ViewID: v.ID, View: v.View,
			Values: map[string]string{"name": "worker", "command": "/no/such/binary"}}
		_, ack := h.send("interactive", s.Payload())
		if errs := formErrors(t, string(ack)); errs["command"] == "" {
			t.Errorf("inline errors over Socket Mode: %s", ack)
		}
	})

	t.Run("reconnects after the connection drops", func(t *testing.T) {
		h.fake.DropSocket()
		if err := h.fake.WaitSocket(15*time.Second, 2); err != nil {
			t.Fatal(err)
		}
		_, ack := h.socketSlash(vic, "status")
		if !strings.Contains(string(ack), "RUNNING") {
			t.Errorf("after reconnecting: %s", ack)
		}
	})
}
