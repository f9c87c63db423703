package writepolicy

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	logs := filepath.Join(root, "log")
	extra := filepath.Join(root, "extra")
	outside := filepath.Join(root, "etc")
	for _, d := range []string{logs, extra, outside, filepath.Join(logs, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(outside, filepath.Join(logs, "out")))                       // a directory link leading out
	must(os.Symlink(filepath.Join(outside, "x"), filepath.Join(logs, "l.log"))) // a file link
	must(os.WriteFile(filepath.Join(logs, "app.log"), nil, 0o644))
	must(os.Mkdir(filepath.Join(logs, "adir"), 0o755))
	ln, err := net.Listen("unix", filepath.Join(logs, "s.sock"))
	must(err)
	t.Cleanup(func() { ln.Close() })
	must(os.Symlink(logs, filepath.Join(root, "loglink"))) // an allowed dir reached through a link

	p := Policy{WritableDirs: []string{extra}}
	for _, tt := range []struct {
		name, path string
		kind       Kind
		want       string // "" = allowed
	}{
		{"new file in the log dir", filepath.Join(logs, "new.log"), File, ""},
		{"existing log", filepath.Join(logs, "app.log"), File, ""},
		{"new file in a subdir", filepath.Join(logs, "sub", "x.log"), File, ""},
		{"missing subdir", filepath.Join(logs, "nope", "x.log"), File, ""},
		{"writable_dirs", filepath.Join(extra, "x.log"), File, ""},
		{"existing socket", filepath.Join(logs, "s.sock"), Socket, ""},
		{"outside", filepath.Join(outside, "cron"), File, "is outside"},
		{"/etc/cron.d", "/etc/cron.d/poolvisor", File, "is outside"},
		{"the dir itself", logs, File, "is outside"},
		{"relative", "log/x.log", File, "absolute path"},
		{"home", "~/x.log", File, "absolute path"},
		{"dot dot", filepath.Join(logs, "sub") + "/../../etc/x", File, "'..'"},
		{"through a dir link", filepath.Join(logs, "out", "x"), File, "symbolic link"},
		{"a file link", filepath.Join(logs, "l.log"), File, "symbolic link"},
		{"a directory as a log", filepath.Join(logs, "adir"), File, "not a regular file"},
		{"a log file as a socket", filepath.Join(logs, "app.log"), Socket, "not a socket"},
		{"a socket as a log", filepath.Join(logs, "s.sock"), File, "not a regular file"},
		{"prefix but not inside", logs + "x/a.log", File, "is outside"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := p.CheckPath("stdout_logfile", tt.path, tt.kind, logs)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
	// An allowed directory given through a link still works, but the link
	// may not be used to leave it.
	if err := p.CheckPath("k", filepath.Join(root, "loglink", "a.log"), File, filepath.Join(root, "loglink")); err != nil {
		t.Errorf("allowed dir behind a link: %v", err)
	}
	if err := p.CheckPath("k", filepath.Join(logs, "a.log"), File, ""); err == nil {
		t.Errorf("an empty allowed dir allowed a path")
	}
}

// TestCheckPathReplaceable: a directory below an allowed one that someone
// other than root could change lets them swap a later element of the path
// for a link after the check (Debian's /run/php belongs to www-data, the
// usual program user). A socket directly in such a directory is fine:
// php-fpm unlinks the socket path itself and binds anew.
func TestCheckPathReplaceable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sock := filepath.Join(root, "run")
	open := filepath.Join(root, "log", "open")
	for _, d := range []string{filepath.Join(sock, "sub"), filepath.Join(open, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o777); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Dir(open)
	p := Policy{}
	for _, tt := range []struct {
		name, path, dir string
		kind            Kind
		want            string
	}{
		{"socket directly in an open socket dir", filepath.Join(sock, "a.sock"), sock, Socket, ""},
		{"socket in a subdir of an open socket dir", filepath.Join(sock, "sub", "a.sock"), sock, Socket, "writable by every user"},
		{"socket in a missing subdir of an open dir", filepath.Join(sock, "nope", "a.sock"), sock, Socket, "writable by every user"},
		{"log in a root-only dir", filepath.Join(logs, "a.log"), logs, File, ""},
		{"log in an open dir", filepath.Join(open, "a.log"), logs, File, "writable by every user"},
		{"log below an open dir", filepath.Join(open, "sub", "a.log"), logs, File, "writable by every user"},
		{"log directly in an open allowed dir", filepath.Join(open, "a.log"), open, File, "writable by every user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := p.CheckPath("listen", tt.path, tt.kind, tt.dir)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "listen")):
				t.Errorf("got %v, want an error naming the key and %q", err, tt.want)
			}
		})
	}
	if os.Geteuid() == 0 {
		owned := filepath.Join(root, "owned")
		if err := os.MkdirAll(filepath.Join(owned, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(owned, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		err := p.CheckPath("listen", filepath.Join(owned, "sub", "a.sock"), Socket, owned)
		if err == nil || !strings.Contains(err.Error(), "uid 65534") {
			t.Errorf("a subdir of a dir owned by another user: %v", err)
		}
		if err := p.CheckPath("listen", filepath.Join(owned, "a.sock"), Socket, owned); err != nil {
			t.Errorf("a socket directly in a dir owned by another user: %v", err)
		}
	}
}

func TestCheckTCP(t *testing.T) {
	t.Parallel()
	loop := Policy{FPMTCP: TCPLoopback}
	for _, h := range []string{"127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"} {
		if err := loop.CheckTCP("listen", h); err != nil {
			t.Errorf("%s refused: %v", h, err)
		}
	}
	for _, h := range []string{"", "0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com"} {
		if err := loop.CheckTCP("listen", h); err == nil || !strings.Contains(err.Error(), "policy.fpm_tcp") {
			t.Errorf("%q: got %v, want a refusal naming policy.fpm_tcp", h, err)
		}
	}
	if err := (Policy{FPMTCP: TCPAny}).CheckTCP("listen", "0.0.0.0"); err != nil {
		t.Errorf("fpm_tcp any refused: %v", err)
	}
}

func TestCheckProgramUser(t *testing.T) {
	t.Parallel()
	p := Policy{ProgramUsers: []string{"www-data", "deploy"}}
	if err := p.CheckProgramUser("deploy", "a change to command"); err != nil {
		t.Error(err)
	}
	for _, u := range []string{"root", "", "postgres"} {
		err := p.CheckProgramUser(u, "a change to command")
		if err == nil || !strings.Contains(err.Error(), "policy.program_users") || !strings.Contains(err.Error(), "a change to command") {
			t.Errorf("%q: got %v", u, err)
		}
	}
	if err := (Policy{ProgramUsers: []string{"root"}}).CheckProgramUser("", "x"); err != nil {
		t.Errorf("root listed, no user= refused: %v", err)
	}
	if got := (Policy{}).DefaultUser(); got != "" {
		t.Errorf("DefaultUser of no users = %q", got)
	}
}
