package app_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestMattermostEditDialogKeepsAChangeMadeUnderneath: with a real
// supervisord behind serve, alice opens web's edit dialog; then web's
// command is changed on the host (its file rewritten by hand). Her dialog
// submitted as it opened writes nothing and says so; submitted with
// autorestart changed, it plans and applies autorestart alone, and web
// keeps the command changed underneath rather than the one the dialog
// showed.
func TestMattermostEditDialogKeepsAChangeMadeUnderneath(t *testing.T) {
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	me.waitRunning("web")

	d, values := me.dialog(mAlice, "supervisor edit web")
	if values["command"] != loop("serving") {
		t.Fatalf("the dialog starts with %v, want web's command", values)
	}
	if _, err := me.sv.WriteProgram(sandbox.Program{Name: "web", Command: loop("serving v2")}); err != nil {
		t.Fatal(err)
	}

	files, writes := configFiles(t, me.sv), daemonWriteCounts(t, me.base)
	a, err := me.fake.Submit(d, mmChannel, values)
	if err != nil || a.Status != 200 || !strings.Contains(a.Error, "Nothing to change") {
		t.Errorf("the dialog submitted as it opened: %v %+v", err, a)
	}
	if after := configFiles(t, me.sv); !maps.EqualFunc(files, after, bytes.Equal) {
		t.Error("a dialog with nothing to change changed the program files")
	}
	if after := daemonWriteCounts(t, me.base); !maps.Equal(writes, after) {
		t.Errorf("a dialog with nothing to change called supervisord: %v, then %v", writes, after)
	}

	values["autorestart"] = "false"
	since := me.fake.Seq()
	if a, err := me.fake.Submit(d, mmChannel, values); err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("%v %+v\n%s", err, a, me.logs.String())
	}
	req := me.wait(since, "the approval request in the channel", func(p mmfake.Post) bool {
		return p.ChannelID == mmChannel && p.Via == "api" && strings.Contains(p.Message, "supervisor.program.edit web") &&
			strings.Contains(p.Message, "+autorestart=false")
	})
	if strings.Contains(req.Message, "-command=") || strings.Contains(req.Message, "--command") {
		t.Errorf("the request changes the command back:\n%s", req.Message)
	}
	if c := me.click(req, "Approve", mBob); c.Response.Update == nil || !strings.Contains(c.Response.Update.Message, "Decided by bob") {
		t.Fatalf("approval: %+v", c.Response)
	}
	deadline := time.Now().Add(settle)
	for {
		var shown struct {
			Program struct {
				Directives map[string]string `json:"directives"`
			} `json:"program"`
		}
		if err := json.Unmarshal(me.want("vic", "supervisor show web", "ok", 0).Data, &shown); err != nil {
			t.Fatal(err)
		}
		got := shown.Program.Directives
		if got["autorestart"] == "false" {
			if got["command"] != loop("serving v2") {
				t.Errorf("web's command is %q after the dialog, want the one changed underneath", got["command"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("autorestart is %q after the dialog, want false\n%s", got["autorestart"], me.logs.String())
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, bounded by deadline
	}
}
