package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// digest identifies the exact bytes of every file in dirs, and of files.
func digest(t *testing.T, dirs []string, files ...string) string {
	t.Helper()
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, filepath.Join(d, e.Name()))
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(f + "\x00"))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestProgramsEndToEnd(t *testing.T) {
	e := newEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	before := e.waitRunning("web")
	snapshot := func() string { return digest(t, []string{e.sv.ProgramDir}, e.sv.ConfigFile) }

	t.Run("add runs the program", func(t *testing.T) {
		r := e.want("alice", `supervisor add worker --command "/bin/sh -c 'while true; do echo v1 at 100%; sleep 1; done'"`, "ok", 0)
		if _, ok := r.programs(t)["worker RUNNING"]; !ok {
			t.Fatalf("add answered %s\n%s", r.Data, r.Message)
		}
		r = e.want("vic", "supervisor show worker", "ok", 0)
		if !strings.Contains(r.Message, "v1 at 100%;") || strings.Contains(r.Message, "100%%") {
			t.Errorf("show does not give the command as written:\n%s", r.Message)
		}
		e.want("alice", "supervisor add worker --command /bin/true", "invalid", 2) // exists
		e.want("alice", "supervisor add other --command /no/such/binary", "invalid", 2)
	})

	t.Run("edit runs the new command and leaves other programs alone", func(t *testing.T) {
		// supervisord applies an edit of a running program by restarting
		// it, so the edit waits for the restart's approval.
		r := e.want("alice", `supervisor edit worker --set "command=/bin/sh -c 'while true; do echo v2; sleep 1; done'"`, "pending_approval", 4)
		if !strings.Contains(r.Message, "amounts to supervisor.program.restart") {
			t.Errorf("pending edit does not say why: %q", r.Message)
		}
		e.want("bob", "ops approve "+r.ApprovalID, "ok", 0)
		r = e.want("vic", "supervisor logs worker --bytes 100", "ok", 0)
		if !strings.Contains(r.Message, "v2") {
			t.Errorf("new command not running: %q", r.Message)
		}
		if now := e.waitRunning("web"); now["web RUNNING"] != before["web RUNNING"] {
			t.Errorf("editing worker restarted web")
		}
	})

	t.Run("numprocs 3 gives three processes", func(t *testing.T) {
		r := e.approved("alice", "bob", "supervisor edit worker --numprocs 3")
		got := r.programs(t)
		for _, n := range []string{"worker:worker_00", "worker:worker_01", "worker:worker_02"} {
			if _, ok := got[n+" RUNNING"]; !ok {
				t.Errorf("%s not running: %v", n, got)
			}
		}
	})

	t.Run("plan changes nothing", func(t *testing.T) {
		was := snapshot()
		r := e.want("alice", "supervisor edit worker --autorestart unexpected --plan", "ok", 0)
		if !strings.Contains(r.Message, "autorestart = unexpected") || snapshot() != was {
			t.Errorf("plan: %q (changed disk: %v)", r.Message, snapshot() != was)
		}
	})

	t.Run("hostile input changes nothing", func(t *testing.T) {
		was, pids := snapshot(), e.waitRunning("web", "worker:worker_00")
		for _, text := range []string{
			"supervisor edit worker --set \"command=/bin/true\n[program:evil]\"",
			"supervisor edit worker --set \"command=/bin/true\r\"",
			`supervisor edit worker --set "command=/bin/echo hi ; rm -rf /"`,
			`supervisor edit worker --set "command=/bin/echo hi # not a comment"`,
			`supervisor edit worker --set "environment=SECRET=%(ENV_NO_SUCH_VARIABLE)s"`,
			`supervisor edit worker --set "command=/bin/echo %(nope)s"`,
			`supervisor edit worker --set "command= /bin/true"`,
			`supervisor edit worker --set "command=` + strings.Repeat("x", 70000) + `"`,
			`supervisor edit worker --set "bogus_key=1"`,
			`supervisor edit worker --set "autostart=maybe"`,
			`supervisor edit worker --set "numprocs=many"`,
			`supervisor edit worker --set "stopsignal=SIGBOGUS"`,
			`supervisor edit worker --set "process_name=worker"`,
			`supervisor edit worker --user nosuchuser`,
			`supervisor edit worker --directory /no/such/dir`,
			`supervisor add "../etc" --command /bin/true`,
			`supervisor add web --command /bin/true`,
			`supervisor edit nosuch --command /bin/true`,
			`supervisor xmlrpc set --ip 300.1.1.1 --port 9001 --username admin`,
			`supervisor xmlrpc set --ip 127.0.0.1 --port 70000 --username admin`,
			`supervisor xmlrpc set --ip 127.0.0.1 --port 9001 --username "a b"`,
		} {
			r := e.exec("alice", text)
			if r.Status != "invalid" || r.code != 2 {
				t.Errorf("%.80q = %s (exit %d), want invalid: %s", text, r.Status, r.code, r.Message)
			}
		}
		// A NUL cannot travel in argv: send it through the console.
		console := exec.Command(binary, "console", "--config", e.config, "--as", "alice")
		console.Stdin = strings.NewReader("supervisor edit worker --set \"command=/bin/true\x00x\"\n")
		out, _ := console.CombinedOutput()
		if !strings.Contains(string(out), "[invalid] NUL bytes are not allowed") {
			t.Errorf("console with NUL: %q", out)
		}
		if snapshot() != was {
			t.Fatal("a refused request changed the config directory")
		}
		if now := e.waitRunning("web", "worker:worker_00"); now["web RUNNING"] != pids["web RUNNING"] ||
			now["worker:worker_00 RUNNING"] != pids["worker:worker_00 RUNNING"] {
			t.Errorf("a refused request restarted programs: %v then %v", pids, now)
		}
	})

	t.Run("xmlrpc set stores a SHA password and show hides it", func(t *testing.T) {
		r := e.want("alice", "supervisor xmlrpc set --ip 127.0.0.1 --port 19001 --username ops", "ok", 0)
		pw := r.Private[strings.LastIndex(r.Private, " ")+1:]
		conf, _ := os.ReadFile(e.sv.ConfigFile)
		if len(pw) < 20 || !strings.Contains(string(conf), "password={SHA}") || strings.Contains(string(conf), pw) {
			t.Fatalf("password %q, config:\n%s", pw, conf)
		}
		// The message and data may reach a channel; the password is
		// only in the part for the requester.
		if strings.Contains(r.Message+string(r.Data), pw) {
			t.Errorf("the answer's public part holds the password: %s %s", r.Message, r.Data)
		}
		r = e.want("vic", "supervisor xmlrpc", "ok", 0)
		if strings.Contains(r.Message+string(r.Data), pw) || strings.Contains(r.Message+string(r.Data), "{SHA}") {
			t.Errorf("show leaks the password: %s %s", r.Message, r.Data)
		}
		audit := e.want("vic", "ops audit 100", "ok", 0)
		raw, _ := os.ReadFile(filepath.Join(filepath.Dir(e.config), "data", "audit.jsonl"))
		if strings.Contains(string(audit.Data)+string(raw), pw) {
			t.Error("the password reached the audit trail")
		}
		e.want("alice", "supervisor xmlrpc disable", "ok", 0)
		if conf, _ := os.ReadFile(e.sv.ConfigFile); strings.Contains(string(conf), "inet_http_server") {
			t.Errorf("disable left the section:\n%s", conf)
		}
	})

	t.Run("show notices a hand edit", func(t *testing.T) {
		path := filepath.Join(e.sv.ProgramDir, "worker.conf")
		was, _ := os.ReadFile(path)
		os.WriteFile(path, append(append([]byte{}, was...), "; tuned by hand\n"...), 0o644)
		r := e.want("vic", "supervisor show worker", "ok", 0)
		if !strings.Contains(r.Message, "changed outside poolvisor") || !strings.Contains(r.Message, "+; tuned by hand") {
			t.Errorf("show does not mention the hand edit:\n%s", r.Message)
		}
		os.WriteFile(path, was, 0o644)
	})

	var beforeDelete []byte
	t.Run("history lists every version", func(t *testing.T) {
		r := e.want("vic", "supervisor history worker", "ok", 0)
		for _, want := range []string{"supervisor.program.add", "supervisor.program.edit"} {
			if !strings.Contains(r.Message, want) {
				t.Errorf("history lacks %s:\n%s", want, r.Message)
			}
		}
		beforeDelete, _ = os.ReadFile(filepath.Join(e.sv.ProgramDir, "worker.conf"))
	})

	t.Run("delete needs approval", func(t *testing.T) {
		r := e.want("alice", "supervisor delete worker", "pending_approval", 4)
		if !strings.Contains(r.Message, "+++ /dev/null") {
			t.Errorf("approval request does not show the diff:\n%s", r.Message)
		}
		id := r.ApprovalID
		if _, err := os.Stat(filepath.Join(e.sv.ProgramDir, "worker.conf")); err != nil {
			t.Fatal("file gone before approval")
		}
		e.want("bob", "ops approve "+id, "ok", 0)
		if _, err := os.Stat(filepath.Join(e.sv.ProgramDir, "worker.conf")); !os.IsNotExist(err) {
			t.Errorf("file still there: %v", err)
		}
		got := e.want("vic", "supervisor status", "ok", 0).programs(t)
		if len(got) != 1 {
			t.Errorf("after delete: %v", got)
		}
	})

	t.Run("rollback of a delete recreates the program byte for byte", func(t *testing.T) {
		r := e.want("alice", "supervisor rollback worker", "ok", 0)
		if _, ok := r.programs(t)["worker:worker_00 RUNNING"]; !ok {
			t.Errorf("rollback answered %s\n%s", r.Data, r.Message)
		}
		now, _ := os.ReadFile(filepath.Join(e.sv.ProgramDir, "worker.conf"))
		if string(now) != string(beforeDelete) {
			t.Errorf("restored file differs:\n%s\nwant:\n%s", now, beforeDelete)
		}
		r = e.want("vic", "supervisor history worker", "ok", 0)
		if !strings.Contains(r.Message, "supervisor.program.rollback") || !strings.Contains(r.Message, "(deleted)") {
			t.Errorf("history after rollback:\n%s", r.Message)
		}
	})
}
