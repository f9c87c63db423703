package app_test

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// TestMaintenanceSummarySurvivesRestart: a real crash of a muted program
// during a window is held and counted as muted; renewing the mute is
// announced as a renewal; serve restarts while the window runs, and the
// summary posted when it is stopped still counts the crash.
func TestMaintenanceSummarySurvivesRestart(t *testing.T) {
	se := newSlackGrantEnv(t, crasher())
	t.Run("held before the restart", func(t *testing.T) {
		se.startSlackServe(t)
		se.waitRunning("web")
		se.want("alice", "supervisor events enable", "ok", 0)
		se.want("alice", "ops maintenance start 1h kernel update", "ok", 0)
		// Announcements go out from serve's chat platforms: these come
		// through Slack.
		se.command("http", sAlice, "ops mute crasher 30m")
		since := se.fake.Seq()
		if a := se.command("http", sBob, "ops mute crasher 2h"); !strings.Contains(a.all(), "renewed") {
			t.Errorf("the answer to a renewal: %s", a.all())
		}
		se.wait(since, "the renewal announced", func(m slackfake.Message) bool {
			return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), "slack:U0BOB renewed the mute of crasher on e2e") &&
				strings.Contains(m.All(), "muted by slack:U0ALICE")
		})
		se.exec("alice", "supervisor start crasher") // fails: that is the point
		waitLog(t, se.logs, "the muted FATAL held", `msg="maintenance: alert held"`, "program=crasher", "state=FATAL", "muted=true")
	})
	t.Run("summed up after it", func(t *testing.T) {
		since := se.fake.Seq()
		se.startSlackServe(t)
		se.want("alice", "ops maintenance stop", "ok", 0)
		sum := se.wait(since, "the summary of the window", func(m slackfake.Message) bool {
			return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.Text, "Maintenance on e2e ended")
		})
		_, muted, ok := strings.Cut(sum.Text, "muted (/ops mute): ")
		if !ok || !strings.Contains(muted, "crasher FATAL") {
			t.Errorf("the summary does not count the muted crash held before the restart: %s", sum.Text)
		}
		if n := crashPosts(se.fake, 0); n != 0 {
			t.Errorf("%d crash alerts posted for a crash held by the window", n)
		}
	})
}
