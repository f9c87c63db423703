package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestMattermostEditDialogEndToEnd: with a real supervisord behind serve,
// `/supervisor edit web` opens a dialog holding web's current values as
// the backend shows them; emptying one is refused on its field and
// changes nothing; a changed value is planned, approved by a second
// person as the policy asks, applied, and the program's file says so.
func TestMattermostEditDialogEndToEnd(t *testing.T) {
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	me.waitRunning("web")

	d, values := me.dialog(mAlice, "supervisor edit web")
	if values["command"] != loop("serving") {
		t.Fatalf("the dialog starts with %v, want web's command", values)
	}

	before := digest(t, []string{me.sv.ProgramDir}, me.sv.ConfigFile)
	emptied := map[string]any{"command": ""}
	if a, err := me.fake.Submit(d, mmChannel, emptied); err != nil || a.Status != 200 || !strings.Contains(a.Errors["command"], "--raw") {
		t.Errorf("emptying the command: %v %+v", err, a)
	}
	if after := digest(t, []string{me.sv.ProgramDir}, me.sv.ConfigFile); after != before {
		t.Error("a refused dialog changed the program files")
	}

	values["autorestart"] = "false"
	since := me.fake.Seq()
	if a, err := me.fake.Submit(d, mmChannel, values); err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("%v %+v\n%s", err, a, me.logs.String())
	}
	// The change amounts to a restart, which needs approval: the dialog's
	// submission asks for it as a typed edit would, showing the diff.
	req := me.wait(since, "the approval request in the channel", func(p mmfake.Post) bool {
		return p.ChannelID == mmChannel && p.Via == "api" && strings.Contains(p.Message, "supervisor.program.edit web") &&
			strings.Contains(p.Message, "+autorestart=false")
	})
	if c := me.click(req, "Approve", mBob); c.Response.Update == nil || !strings.Contains(c.Response.Update.Message, "Decided by bob") {
		t.Fatalf("approval: %+v", c.Response)
	}
	// The decision may be answered before the apply ends: wait for it.
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
		got := shown.Program.Directives["autorestart"]
		if got == "false" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("autorestart is %q after the dialog, want false\n%s", got, me.logs.String())
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, bounded by deadline
	}
}
