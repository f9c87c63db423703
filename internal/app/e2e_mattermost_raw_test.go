package app_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestMattermostRawDialog: `/supervisor edit web --raw` opens web's whole
// file in a dialog, the token on its command line masked. A file that
// supervisord refuses comes back under the field and changes nothing; a
// file with one line added, the masked line left as shown, is planned,
// held for approval and applied, and keeps the token. A dialog whose file
// was written meanwhile is a conflict.
func TestMattermostRawDialog(t *testing.T) {
	const token = "rawsecret77"
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving") + " --api-token " + token})
	me.waitRunning("web")
	path := filepath.Join(me.sv.ProgramDir, "web.conf")

	d, values := me.dialog(mAlice, "supervisor edit web --raw")
	file, _ := values["content"].(string)
	if len(d.Body.Elements) != 1 || !strings.Contains(file, "[program:web]") || !strings.Contains(file, "--api-token ••••") {
		t.Fatalf("the raw dialog: %+v", d.Body)
	}
	if strings.Contains(file+d.Body.State, token) {
		t.Fatalf("the raw dialog shows the token:\n%s", file)
	}

	files, writes := configFiles(t, me.sv), daemonWriteCounts(t, me.base)
	values["content"] = file + "startretries=many\n"
	a, err := me.fake.Submit(d, mmChannel, values)
	if err != nil || a.Status != 200 || a.Errors["content"] == "" {
		t.Errorf("a file supervisord refuses: %v %+v", err, a)
	}
	if after := configFiles(t, me.sv); !maps.EqualFunc(files, after, bytes.Equal) {
		t.Error("a refused raw dialog changed the program files")
	}
	if after := daemonWriteCounts(t, me.base); !maps.Equal(writes, after) {
		t.Errorf("a refused raw dialog called supervisord: %v, then %v", writes, after)
	}

	values["content"] = file + "user=www-data\nstopwaitsecs=7\n" // the policy wants a user=
	since := me.fake.Seq()
	if a, err := me.fake.Submit(d, mmChannel, values); err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("%v %+v\n%s", err, a, me.logs.String())
	}
	req := me.wait(since, "the approval request in the channel", func(p mmfake.Post) bool {
		return p.ChannelID == mmChannel && p.Via == "api" && strings.Contains(p.Message, "supervisor.program.edit web")
	})
	if strings.Contains(req.Message, token) {
		t.Errorf("the approval request shows the token:\n%s", req.Message)
	}
	if c := me.click(req, "Approve", mBob); c.Response.Update == nil || !strings.Contains(c.Response.Update.Message, "Decided by bob") {
		t.Fatalf("approval: %+v", c.Response)
	}
	for deadline := time.Now().Add(settle); ; time.Sleep(50 * time.Millisecond) {
		now, _ := os.ReadFile(path)
		if strings.Contains(string(now), "stopwaitsecs=7") {
			if !strings.Contains(string(now), "--api-token "+token) {
				t.Errorf("the raw edit lost the token it showed masked:\n%s", now)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("web's file after the approval:\n%s\n%s", now, me.logs.String())
		}
	}

	// Written by hand while a raw dialog is open: its submission is a
	// conflict under the file, and the hand's change stands.
	d, values = me.dialog(mAlice, "supervisor edit web --raw")
	hand, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hand = append(hand, []byte("startretries=5\n")...)
	if err := os.WriteFile(path, hand, 0o644); err != nil {
		t.Fatal(err)
	}
	values["content"] = strings.Replace(values["content"].(string), "stopwaitsecs=7", "stopwaitsecs=8", 1)
	a, err = me.fake.Submit(d, mmChannel, values)
	if err != nil || a.Status != 200 || !strings.Contains(a.Errors["content"], "changed since its editor opened") {
		t.Errorf("a file written while the dialog was open: %v %+v", err, a)
	}
	if now, _ := os.ReadFile(path); string(now) != string(hand) {
		t.Errorf("the conflicting dialog changed the file:\n%s", now)
	}
}
