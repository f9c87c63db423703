package app_test

import (
	"bytes"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// configFiles is every file under the supervisord config (its main file
// and its program directory), by path, with its bytes.
func configFiles(t *testing.T, sv *sandbox.Supervisord) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	main, err := os.ReadFile(sv.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	out[sv.ConfigFile] = main
	err = filepath.WalkDir(sv.ProgramDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// daemonWrites are the XML-RPC calls by which serve changes supervisord:
// a reload of its config, a group added or removed, a process started,
// stopped or signalled, the daemon restarted.
var daemonWrites = []string{"supervisor.reloadConfig", "supervisor.addProcessGroup", "supervisor.removeProcessGroup",
	"supervisor.restart", "supervisor.signalProcess", "supervisor.startProcess", "supervisor.stopProcess",
	"supervisor.startProcessGroup", "supervisor.stopProcessGroup", "supervisor.startAllProcesses", "supervisor.stopAllProcesses"}

// daemonWriteCounts are serve's counts of daemonWrites, from /metrics.
func daemonWriteCounts(t *testing.T, base string) map[string]string {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	out := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		for _, m := range daemonWrites {
			if rest, ok := strings.CutPrefix(line, `poolvisor_supervisor_xmlrpc_calls_total{method="`+m+`"} `); ok {
				out[m] = rest
			}
		}
	}
	return out
}

// supervisordLog is supervisord's own log from offset on, and its length.
func supervisordLog(t *testing.T, sv *sandbox.Supervisord, offset int) (string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sv.Dir, "supervisord.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b[min(offset, len(b)):]), len(b)
}

// processMarks are what supervisord logs when a process starts or stops.
var processMarks = []string{"spawned:", "exited:", "stopped:", "SIGHUP", "restarting"}

func TestMattermostDialogInlineErrorChangesNothing(t *testing.T) {
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	pid := me.waitRunning("web")["web RUNNING"]

	d, _ := me.dialog(mAlice, "supervisor add")

	tests := []struct {
		name   string
		values map[string]any
		field  string
	}{
		{"a section smuggled into the command", map[string]any{"name": "evil", "command": "/bin/true\n[program:root]\ncommand=/bin/sh\nuser=root"}, "command"},
		{"a name that leaves the directory", map[string]any{"name": "../../evil", "command": "/bin/true"}, "name"},
		{"a user outside the policy", map[string]any{"name": "evil", "command": "/bin/true", "user": "root"}, "user"},
		{"a relative directory", map[string]any{"name": "evil", "command": "/bin/true", "directory": "tmp"}, "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, writes := configFiles(t, me.sv), daemonWriteCounts(t, me.base)
			_, logAt := supervisordLog(t, me.sv, 0)
			a, err := me.fake.Submit(d, mmChannel, tt.values)
			if err != nil || a.Status != 200 {
				t.Fatalf("submission: %v %+v", err, a)
			}
			if a.Errors[tt.field] == "" {
				t.Errorf("no error on field %q: %+v", tt.field, a)
			}
			if after := configFiles(t, me.sv); !maps.EqualFunc(files, after, bytes.Equal) {
				t.Errorf("config files changed:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(files)), slices.Sorted(maps.Keys(after)))
			}
			if after := daemonWriteCounts(t, me.base); !maps.Equal(writes, after) {
				t.Errorf("serve called supervisord to change it: %v, then %v", writes, after)
			}
			if log, _ := supervisordLog(t, me.sv, logAt); slices.ContainsFunc(processMarks, func(m string) bool { return strings.Contains(log, m) }) {
				t.Errorf("supervisord started or stopped something:\n%s", log)
			}
			st := me.want("vic", "supervisor status", "ok", 0)
			if got := st.programs(t); len(got) != 1 || got["web RUNNING"] != pid {
				t.Errorf("programs after the refusal: %v (web was pid %d)", got, pid)
			}
		})
	}

	// The same dialog with sound values does write: the checks above
	// would have seen a change.
	writes := daemonWriteCounts(t, me.base)
	_, logAt := supervisordLog(t, me.sv, 0)
	since := me.fake.Seq()
	a, err := me.fake.Submit(d, mmChannel, map[string]any{"name": "worker", "command": "/bin/sh -c 'while true; do sleep 1; done'"})
	if err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("a sound submission: %v %+v", err, a)
	}
	me.wait(since, "the result in the channel", func(p mmfake.Post) bool {
		return p.ChannelID == mmChannel && p.For == "" && strings.Contains(p.Message, "worker")
	})
	if _, err := os.Stat(filepath.Join(me.sv.ProgramDir, "worker.conf")); err != nil {
		t.Errorf("the sound submission wrote no file: %v", err)
	}
	if after := daemonWriteCounts(t, me.base); maps.Equal(writes, after) {
		t.Errorf("no XML-RPC write counted for an applied add, so their silence above proves nothing: %v", after)
	}
	me.waitRunning("worker")
	if log, _ := supervisordLog(t, me.sv, logAt); !strings.Contains(log, "spawned: 'worker'") {
		t.Errorf("supervisord's log does not show the added program, so its silence above proves nothing:\n%s", log)
	}
}

// TestMattermostDialogStateIsNoPassForAnotherUser: vic, a viewer, opens
// the add dialog (Mattermost hands its state and URL to vic's client) and
// posts it straight to serve's dialog URL as alice, an admin. Nothing is
// planned, written or started in alice's name.
func TestMattermostDialogStateIsNoPassForAnotherUser(t *testing.T) {
	me := newMattermostEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	pid := me.waitRunning("web")["web RUNNING"]
	d, _ := me.dialog(mVic, "supervisor add")
	files, writes := configFiles(t, me.sv), daemonWriteCounts(t, me.base)
	asAlice := d
	asAlice.User = mAlice.ID
	a, err := me.fake.Submit(asAlice, mmChannel, map[string]any{"name": "evil", "command": "/bin/sh -c 'while true; do sleep 1; done'"})
	if err != nil || a.Status != http.StatusUnauthorized {
		t.Errorf("vic's dialog submitted as alice: %v %+v", err, a)
	}
	if after := configFiles(t, me.sv); !maps.EqualFunc(files, after, bytes.Equal) {
		t.Errorf("config files changed: %v", slices.Sorted(maps.Keys(after)))
	}
	if after := daemonWriteCounts(t, me.base); !maps.Equal(writes, after) {
		t.Errorf("serve called supervisord to change it: %v, then %v", writes, after)
	}
	// vic's own submission runs as vic, whom RBAC refuses.
	a, err = me.fake.Submit(d, mmChannel, map[string]any{"name": "evil", "command": "/bin/true"})
	if err != nil || a.Status != http.StatusOK || a.Error == "" {
		t.Errorf("vic's own submission: %v %+v", err, a)
	}
	if got := me.want("vic", "supervisor status", "ok", 0).programs(t); len(got) != 1 || got["web RUNNING"] != pid {
		t.Errorf("programs after: %v (web was pid %d)", got, pid)
	}
}
