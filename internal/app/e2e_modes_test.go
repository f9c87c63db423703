package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestFileModes: what poolvisor keeps is its user's alone, whatever made
// data_dir (systemd's StateDirectory= makes it 0755); new program files,
// which may hold secrets, are 0600; an edit keeps a hand-made file's owner,
// group and mode; a data_dir of another user is refused.
func TestFileModes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, like poolvisor on a host")
	}
	e := newEnv(t, sandbox.Program{Name: "web", Command: loop("serving")})
	data := filepath.Join(filepath.Dir(e.config), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "poolvisor.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitRunning("web")
	e.want("alice", "supervisor add worker --command /bin/true --autostart false", "ok", 0)

	mode := func(path string) os.FileMode {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if m := mode(data); m != 0o700 {
		t.Errorf("data_dir is %04o, want 0700", m)
	}
	entries, _ := os.ReadDir(data)
	for _, en := range entries {
		p := filepath.Join(data, en.Name())
		if m := mode(p); m&0o077 != 0 {
			t.Errorf("%s is %04o: readable by others", en.Name(), m)
		}
	}
	if m := mode(filepath.Join(e.sv.ProgramDir, "worker.conf")); m != 0o600 {
		t.Errorf("a new program file is %04o, want 0600", m)
	}

	web := filepath.Join(e.sv.ProgramDir, "web.conf")
	if err := os.Chown(web, 0, 4); err != nil { // root:adm, as some hosts have it
		t.Fatal(err)
	}
	if err := os.Chmod(web, 0o640); err != nil {
		t.Fatal(err)
	}
	e.want("alice", "supervisor edit web --set stopwaitsecs=3", "pending_approval", 4) // it runs: an edit restarts it
	e.approved("alice", "bob", "supervisor edit web --set stopwaitsecs=4")
	st, _ := os.Stat(web)
	if sys := st.Sys().(*syscall.Stat_t); st.Mode().Perm() != 0o640 || sys.Gid != 4 {
		t.Errorf("after an edit web.conf is %04o group %d, want 0640 group 4", st.Mode().Perm(), sys.Gid)
	}

	if err := os.Chown(data, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	r := e.exec("alice", "supervisor status")
	if r.code == 0 || !strings.Contains(r.Message, "belongs to uid 65534") {
		t.Errorf("a data_dir of nobody's: exit %d %q", r.code, r.Message)
	}
}
