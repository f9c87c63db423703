package app_test

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// TestDiscordGatewayEndToEnd runs the flows with the interactions over the
// fake Gateway and their answers posted to the callback endpoint, then
// breaks the connection.
func TestDiscordGatewayEndToEnd(t *testing.T) {
	de := newDiscordEnv(t, "gateway", slackPrograms()...)
	if st := de.fake.GatewayStats(); st.Identifies != 1 || st.Intents != 0 {
		t.Errorf("identify: %+v", st)
	}
	discordFlows(t, de)

	t.Run("healthz and metrics see the Gateway", func(t *testing.T) {
		code, body := get(t, de.base+"/healthz")
		if code != 200 || !strings.Contains(body, `"name":"discord","ok":true,"info":"Gateway connected"`) {
			t.Errorf("healthz %d %s", code, body)
		}
		_, body = get(t, de.base+"/metrics")
		for _, want := range []string{
			`poolvisor_chat_api_calls_total{method="interaction.callback",platform="discord"}`,
			`poolvisor_chat_api_calls_total{method="gateway.bot",platform="discord"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})

	t.Run("a dropped connection is resumed", func(t *testing.T) {
		if err := de.fake.DropGateway(); err != nil {
			t.Fatal(err)
		}
		// Sent while the bot is away: Discord replays it on the resume.
		s := de.command(dVic, "supervisor", []string{"status"})
		if !strings.Contains(s.Msg.Text(), "**web** `RUNNING`") {
			t.Errorf("status after the drop: %s", s.Msg.Text())
		}
		if st := de.fake.GatewayStats(); st.Resumes != 1 || st.Identifies != 1 || st.ResumeURLConnections != 1 {
			t.Errorf("after the drop: %+v", st)
		}
	})

	t.Run("a lost session is started anew", func(t *testing.T) {
		if err := de.fake.CloseGateway(4009, "Session timed out."); err != nil {
			t.Fatal(err)
		}
		if err := de.fake.WaitGateway(dWait, "a new session", func(st discordfake.GatewayStats) bool {
			return st.Identifies == 2 && st.Ready
		}); err != nil {
			t.Fatal(err)
		}
		s := de.command(dVic, "supervisor", []string{"status"})
		if !strings.Contains(s.Msg.Text(), "**web** `RUNNING`") {
			t.Errorf("status on the new session: %s", s.Msg.Text())
		}
		code, body := get(t, de.base+"/healthz")
		if code != 200 || !strings.Contains(body, `"info":"Gateway connected"`) {
			t.Errorf("healthz %d %s", code, body)
		}
	})
}
