package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// hugeDispatch sends a dispatch of 9 MiB, over maxFrameBytes. The fake
// keeps it for a RESUME to replay, as Discord does. The client hangs up
// while it is being written, so the write's own error is expected.
func (h *harness) hugeDispatch() {
	h.t.Helper()
	_, err := h.fake.Dispatch("GUILD_CREATE", map[string]string{"blob": strings.Repeat("x", 9<<20)})
	if err != nil && strings.Contains(err.Error(), "no session") {
		h.t.Fatal(err)
	}
}

// TestGatewayOversizedFrameStartsANewSession: a frame over the read limit
// is not resumed into (the fake, like Discord, would replay it); the
// client identifies afresh and goes on (issue 14 item 10).
func TestGatewayOversizedFrameStartsANewSession(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	h.hugeDispatch()
	h.waitGateway("a new session", func(s discordfake.GatewayStats) bool { return s.Identifies == 2 && s.Ready })
	h.ready()
	a := h.ask(discordfake.Command(discordfake.TypeCommand, appID, guild, channel, vic, "supervisor", []string{"status"}))
	if a.Type != 4 {
		t.Errorf("status on the new session: type %d", a.Type)
	}
	if st := h.fake.GatewayStats(); st.Resumes != 0 || st.Connections != 2 {
		t.Errorf("after one oversized frame: %+v; want one new connection that identified", st)
	}
	if !strings.Contains(h.log.String(), "larger than 8 MiB") {
		t.Errorf("the log does not say why:\n%s", h.log.String())
	}
}

// TestGatewayStopsOnRepeatedOversizedFrames: oversized frames again and
// again on every new session stop the client after a bounded number of
// sessions, with /healthz saying why; Run goes on until shutdown so that
// the rest of serve is not taken down.
func TestGatewayStopsOnRepeatedOversizedFrames(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	for i := 1; i <= maxOversizedFrames; i++ {
		h.waitGateway("a session", func(s discordfake.GatewayStats) bool { return s.Identifies == i && s.Ready })
		h.ready()
		h.hugeDispatch()
	}
	deadline := time.Now().Add(gwWait)
	for hc := h.a.Health(); !strings.Contains(hc.Info, "stopped after"); hc = h.a.Health() {
		if hc.OK {
			continue // the session is still up: the frame is on its way
		}
		if time.Now().After(deadline) {
			t.Fatalf("health after %d oversized frames: %+v\n%s", maxOversizedFrames, hc, h.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if hc := h.a.Health(); hc.OK || !strings.Contains(hc.Info, "discord.mode: http") {
		t.Errorf("health: %+v", hc)
	}
	select {
	case err := <-h.ran:
		t.Fatalf("Run returned (%v) before shutdown", err)
	default:
	}
	if st := h.fake.GatewayStats(); st.Connections != maxOversizedFrames || st.Identifies != maxOversizedFrames || st.Resumes != 0 {
		t.Errorf("connections: %+v; want %d, each a new session", st, maxOversizedFrames)
	}
}
