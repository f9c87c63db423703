package discord

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// gwWait bounds every wait of the Gateway tests; none should come near it.
const gwWait = time.Minute

// newGatewayHarness is the harness in gateway mode, without a public key,
// with short waits between connections, and connected.
func newGatewayHarness(t *testing.T, token string) *harness {
	t.Helper()
	h := newHarnessWith(t, func(c *Config) {
		c.Mode, c.PublicKey, c.BotToken = ModeGateway, "", token
	}, func(a *Adapter) {
		a.gw.minBackoff, a.gw.maxBackoff = 10*time.Millisecond, 50*time.Millisecond
		a.gw.invalidWait = func() time.Duration { return 10 * time.Millisecond }
	})
	return h
}

// ready waits until the fake has sent READY (or RESUMED) and the adapter
// has read it.
func (h *harness) ready() {
	h.t.Helper()
	if err := h.fake.WaitReady(gwWait); err != nil {
		h.t.Fatalf("%v\n%s", err, h.log.String())
	}
	for deadline := time.Now().Add(gwWait); !h.a.Health().OK; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("the adapter did not see the session ready: %+v", h.a.Health())
		}
	}
}

// ask sends an interaction over the Gateway and returns its answer as the
// callback carried it.
func (h *harness) ask(in map[string]any) wireReply {
	h.t.Helper()
	seq := h.fake.Seq()
	if err := h.fake.SendInteraction(in); err != nil {
		h.t.Fatal(err)
	}
	c := h.wait(seq, "the interaction's callback", func(c discordfake.Call) bool { return c.Interaction == in["id"] })
	if c.Err != "" {
		h.t.Fatalf("Discord refused the callback: %s", c.Err)
	}
	var r wireReply
	if err := json.Unmarshal(c.Body, &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// stopped waits for Run to return and returns its error.
func (h *harness) stopped() error {
	h.t.Helper()
	select {
	case err := <-h.ran:
		return err
	case <-time.After(gwWait):
		h.t.Fatal("Run has not returned")
		return nil
	}
}

func (h *harness) waitGateway(what string, ok func(discordfake.GatewayStats) bool) {
	h.t.Helper()
	if err := h.fake.WaitGateway(gwWait, what, ok); err != nil {
		h.t.Fatalf("%v\n%s", err, h.log.String())
	}
}

func TestGatewayIdentifiesAndAnswers(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	st := h.fake.GatewayStats()
	if st.Identifies != 1 || st.Intents != 0 || st.Properties["browser"] != "poolvisor" {
		t.Errorf("identify: %+v", st)
	}
	if hc := h.a.Health(); !hc.OK || hc.Info != "Gateway connected" {
		t.Errorf("health: %+v", hc)
	}
	a := h.ask(discordfake.Command(discordfake.TypeCommand, appID, guild, channel, vic, "supervisor", []string{"status"}))
	if m := a.msg(t); a.Type != 4 || m.Flags&64 == 0 || !strings.Contains(m.Text(), "**web** `RUNNING`") {
		t.Errorf("status: type %d %s", a.Type, m.Text())
	}
	ac := h.ask(discordfake.Command(discordfake.TypeAutocomplete, appID, guild, channel, vic, "supervisor", []string{"restart"},
		discordfake.Opt{Name: "program", Value: "qu", Focused: true}))
	if ac.Type != 8 || !strings.Contains(string(ac.Data), `"queue:*"`) {
		t.Errorf("autocomplete: type %d %s", ac.Type, ac.Data)
	}
	// The HTTP endpoint is off without a public key.
	if code, _ := h.post(discordfake.Ping(appID)); code != http.StatusNotFound {
		t.Errorf("HTTP interaction in gateway mode: %d", code)
	}
}

func TestGatewayDeferredAnswerIsEditedAfterItsCallback(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	h.a.wait = 50 * time.Millisecond // far below the delay, see TestStatusImmediateAndDeferred
	h.b.delay.Store(int64(1200 * time.Millisecond))
	in := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, vic, "supervisor", []string{"status"})
	seq := h.fake.Seq()
	if a := h.ask(in); a.Type != 5 {
		t.Fatalf("slow status: type %d, want a deferral", a.Type)
	}
	c := h.wait(seq, "the edited response", func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && c.Token == in["token"]
	})
	if c.Err != "" || !strings.Contains(c.Msg.Text(), "**web** `RUNNING`") {
		t.Errorf("edit: %s %s", c.Err, c.Msg.Text())
	}
}

func TestGatewayResumesAndReplays(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	if err := h.fake.DropGateway(); err != nil {
		t.Fatal(err)
	}
	// Sent while the bot is away: the resume replays it.
	in := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, vic, "supervisor", []string{"status"})
	seq := h.fake.Seq()
	if err := h.fake.SendInteraction(in); err != nil {
		t.Fatal(err)
	}
	c := h.wait(seq, "the replayed interaction's callback", func(c discordfake.Call) bool { return c.Interaction == in["id"] })
	if c.Err != "" || c.Type != 4 {
		t.Errorf("callback after resume: type %d %s", c.Type, c.Err)
	}
	st := h.fake.GatewayStats()
	if st.Resumes != 1 || st.Identifies != 1 || st.ResumeURLConnections != 1 {
		t.Errorf("after a drop: %+v", st)
	}

	t.Run("RECONNECT resumes", func(t *testing.T) {
		if err := h.fake.RequestReconnect(); err != nil {
			t.Fatal(err)
		}
		h.waitGateway("a second resume", func(s discordfake.GatewayStats) bool { return s.Resumes == 2 && s.Ready })
		if st := h.fake.GatewayStats(); st.LastClose != closeResuming || st.Identifies != 1 {
			t.Errorf("after RECONNECT: %+v", st)
		}
	})
	t.Run("close 4000 resumes", func(t *testing.T) {
		if err := h.fake.CloseGateway(4000, "Unknown error."); err != nil {
			t.Fatal(err)
		}
		h.waitGateway("a third resume", func(s discordfake.GatewayStats) bool { return s.Resumes == 3 && s.Ready })
	})
	t.Run("a requested heartbeat is sent at once", func(t *testing.T) {
		n := h.fake.GatewayStats().Heartbeats
		if err := h.fake.RequestHeartbeat(); err != nil {
			t.Fatal(err)
		}
		h.waitGateway("a heartbeat", func(s discordfake.GatewayStats) bool { return s.Heartbeats > n })
	})
}

func TestGatewayIdentifiesAgainWhenTheSessionIsGone(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	if err := h.fake.InvalidateSession(false); err != nil {
		t.Fatal(err)
	}
	h.waitGateway("a second identify", func(s discordfake.GatewayStats) bool { return s.Identifies == 2 && s.Ready })
	if err := h.fake.CloseGateway(4009, "Session timed out."); err != nil {
		t.Fatal(err)
	}
	h.waitGateway("a third identify", func(s discordfake.GatewayStats) bool { return s.Identifies == 3 && s.Ready })
	if err := h.fake.InvalidateSession(true); err != nil {
		t.Fatal(err)
	}
	h.waitGateway("a resume", func(s discordfake.GatewayStats) bool { return s.Resumes == 1 && s.Ready })
	if st := h.fake.GatewayStats(); st.Identifies != 3 {
		t.Errorf("a resumable INVALID_SESSION identified anew: %+v", st)
	}
	a := h.ask(discordfake.Command(discordfake.TypeCommand, appID, guild, channel, vic, "supervisor", []string{"status"}))
	if a.Type != 4 {
		t.Errorf("status on the new session: type %d", a.Type)
	}
}

func TestGatewayHeartbeatsAndZombieConnections(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	// The next connection's HELLO asks for a short interval.
	h.fake.SetHeartbeatInterval(50 * time.Millisecond)
	if err := h.fake.RequestReconnect(); err != nil {
		t.Fatal(err)
	}
	h.waitGateway("resume", func(s discordfake.GatewayStats) bool { return s.Resumes == 1 && s.Ready })
	n := h.fake.GatewayStats().Heartbeats
	h.waitGateway("heartbeats", func(s discordfake.GatewayStats) bool { return s.Heartbeats >= n+3 })

	h.fake.MuteHeartbeatAcks(true)
	h.waitGateway("the zombie connection closed", func(s discordfake.GatewayStats) bool { return !s.Ready })
	h.fake.MuteHeartbeatAcks(false)
	h.waitGateway("a resume after it", func(s discordfake.GatewayStats) bool { return s.Resumes >= 2 && s.Ready })
	if st := h.fake.GatewayStats(); st.LastClose != closeResuming || st.Identifies != 1 {
		t.Errorf("after a zombie connection: %+v", st)
	}
}

func TestGatewayStopsOnAFinalRefusal(t *testing.T) {
	t.Run("bad token", func(t *testing.T) {
		h := newGatewayHarness(t, "not-the-token")
		if err := h.stopped(); err == nil || !strings.Contains(err.Error(), "discord.bot_token") {
			t.Errorf("Run: %v", err)
		}
		if hc := h.a.Health(); hc.OK || !strings.Contains(hc.Info, "bot_token") {
			t.Errorf("health: %+v", hc)
		}
	})
	t.Run("close 4004", func(t *testing.T) {
		h := newGatewayHarness(t, botToken)
		h.ready()
		if err := h.fake.CloseGateway(4004, "Authentication failed."); err != nil {
			t.Fatal(err)
		}
		if err := h.stopped(); err == nil || !strings.Contains(err.Error(), "4004") {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestGatewayShutsDownCleanly(t *testing.T) {
	h := newGatewayHarness(t, botToken)
	h.ready()
	h.cancel()
	if err := h.stopped(); err != nil {
		t.Errorf("Run: %v", err)
	}
	h.waitGateway("a normal close", func(s discordfake.GatewayStats) bool { return s.LastClose == 1000 && !s.Ready })
	if h.a.Health().OK {
		t.Error("healthy after shutdown")
	}
}

func TestHTTPModeHealth(t *testing.T) {
	h := newHarness(t)
	if hc := h.a.Health(); !hc.OK || hc.Name != "discord" || hc.Info != "HTTP interactions" {
		t.Errorf("health: %+v", hc)
	}
}

func TestGatewayBackoffIsBounded(t *testing.T) {
	g := newGateway("", nil, nil, nil)
	for _, tc := range []struct {
		failures int
		lo, hi   time.Duration
	}{
		{0, 0, minBackoff},
		{1, minBackoff / 2, minBackoff},
		{3, 2 * time.Second, 4 * time.Second},
		{40, maxBackoff / 2, maxBackoff},
	} {
		for range 20 {
			if d := g.backoff(tc.failures); d < tc.lo || d > tc.hi {
				t.Errorf("after %d failures: %s, want %s to %s", tc.failures, d, tc.lo, tc.hi)
			}
		}
	}
}

func TestGatewayURL(t *testing.T) {
	for in, want := range map[string]string{
		"wss://gateway.discord.gg":             "wss://gateway.discord.gg?encoding=json&v=10",
		"wss://gateway-us-east1-b.discord.gg/": "wss://gateway-us-east1-b.discord.gg/?encoding=json&v=10",
		"ws://127.0.0.1:5/gateway?v=9":         "ws://127.0.0.1:5/gateway?encoding=json&v=10",
	} {
		if got, err := wsURL(in); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
	if _, err := wsURL("https://discord.com/api"); err == nil {
		t.Error("an https URL is taken for a websocket")
	}
}
