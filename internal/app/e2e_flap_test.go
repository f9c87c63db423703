package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// flapper is a program that reaches RUNNING a few times, dying after each,
// then dies at once until supervisord gives up on it (FATAL): the flapping
// that once made one alert per RUNNING (issue 14, item 4).
func flapper(t *testing.T) sandbox.Program {
	dir := t.TempDir()
	script := filepath.Join(dir, "flap.sh")
	body := fmt.Sprintf(`#!/bin/sh
n=$(cat %[1]s/runs 2>/dev/null || echo 0)
echo $(expr $n + 1) > %[1]s/runs
echo "flapper run $n: lost the database"
if [ "$n" -lt 4 ]; then sleep 2; fi
exit 3
`, dir)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	no := false
	return sandbox.Program{Name: "flapper", Command: "/bin/sh " + script, Autostart: &no,
		Extra: map[string]string{"startsecs": "1", "startretries": "2", "autorestart": "true"}}
}

// TestFlappingProgramIsOneMessagePerPlatform runs a program that flaps
// under a real supervisord, with Slack and Discord both enabled: each
// platform gets one alert, edited in place, that ends on FATAL.
func TestFlappingProgramIsOneMessagePerPlatform(t *testing.T) {
	dfake := discordfake.New(dApp, dBot)
	t.Cleanup(dfake.Close)
	extra := fmt.Sprintf(`discord:
  enabled: true
  mode: http
  bot_token: %s
  application_id: "%s"
  public_key: "%s"
  guild_ids: ["%s"]
  api_url: %s
  notify_channel_id: "%s"
alerts:
  update_interval: 500ms
`, dBot, dApp, discordfake.NewKey().PublicHex(), dGuild, dfake.APIURL(), dNotify)
	se := newSlackEnvWith(t, "http", extra, sandbox.Program{Name: "web", Command: loop("serving")}, flapper(t))
	se.waitRunning("web")
	se.want("alice", "supervisor events enable", "ok", 0)

	sSince, dSince := se.fake.Seq(), dfake.Seq()
	se.exec("alice", "supervisor start flapper")
	waitFor(t, "flapper FATAL", func() bool {
		_, ok := se.want("vic", "supervisor status flapper", "ok", 0).programs(t)["flapper FATAL"]
		return ok
	})

	// Slack: the last word about flapper is FATAL, in the one message.
	slackAbout := func() []slackfake.Message {
		var out []slackfake.Message
		for _, m := range se.fake.Messages() {
			if m.Seq > sSince && m.Channel == slackNotify && strings.Contains(m.All(), "flapper") {
				out = append(out, m)
			}
		}
		return out
	}
	waitFor(t, "the Slack alert to show FATAL", func() bool {
		ms := slackAbout()
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, "FATAL")
	})
	posts, updates := 0, 0
	var first slackfake.Message
	for _, m := range slackAbout() {
		switch m.Kind {
		case "post":
			if posts == 0 {
				first = m
			}
			posts++
		case "update":
			updates++
			if m.TS != first.TS {
				t.Errorf("an update of another message: %+v", m)
			}
		}
	}
	t.Logf("slack: %d post(s), %d update(s)", posts, updates)
	if posts != 1 || updates == 0 {
		t.Errorf("slack: %d posts and %d updates for one flapping program, want 1 post and updates", posts, updates)
	}

	// Discord: the same, with POST and PATCH.
	discordAbout := func() []discordfake.Call {
		var out []discordfake.Call
		for _, c := range dfake.Calls(dSince) {
			if c.Channel == dNotify && strings.Contains(c.Msg.Text(), "flapper") {
				out = append(out, c)
			}
		}
		return out
	}
	waitFor(t, "the Discord alert to show FATAL", func() bool {
		cs := discordAbout()
		return len(cs) > 0 && strings.Contains(cs[len(cs)-1].Msg.Text(), "FATAL")
	})
	posts, updates = 0, 0
	for _, c := range discordAbout() {
		switch c.Method {
		case http.MethodPost:
			posts++
		case http.MethodPatch:
			updates++
		}
	}
	t.Logf("discord: %d post(s), %d update(s)", posts, updates)
	if posts != 1 || updates == 0 {
		t.Errorf("discord: %d posts and %d updates for one flapping program, want 1 post and updates", posts, updates)
	}
}
