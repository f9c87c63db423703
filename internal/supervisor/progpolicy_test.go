package supervisor

import (
	"context"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// dirBytes returns every file of dir with its bytes.
func dirBytes(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// pids returns every process's pid, which a reload or restart changes.
func pids(t *testing.T, b *Backend) map[string]int {
	t.Helper()
	all, err := b.client.GetAllProcessInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range all {
		out[p.Group+":"+p.Name] = p.PID
	}
	return out
}

// TestWritePolicy: a write role is not root. Programs run only as the users
// of policy.program_users and log only where supervisord's log dir (or
// policy.writable_dirs) allows; a refused write changes no file and
// touches no process. A program that already runs as root stays
// controllable, and editable in keys that do not change what it runs.
func TestWritePolicy(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "legacy", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	b.cfg.Policy = writepolicy.Policy{ProgramUsers: []string{"www-data", "nobody"}}
	rpcWaitState(t, b.client, "legacy:legacy", "RUNNING")

	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(s.LogDir, "escape")); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	arg := func(k, v string) ops.Arg { return ops.Arg{Key: k, Value: v} }
	cmd := arg("command", "/bin/sleep 600")
	legacyRaw := "[program:legacy]\ncommand=/bin/sh -c id\n"

	for _, tt := range []struct {
		name, op, target string
		args             []ops.Arg
		want             string
	}{
		{"add as root", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("user", "root")}, "outside policy.program_users"},
		{"add as root with --set", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "user=root")}, "outside policy.program_users"},
		{"add as another user", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("user", "daemon")}, "run as daemon"},
		{"log in /etc/cron.d", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stdout_logfile=/etc/cron.d/poolvisor")}, "is outside"},
		{"stderr log elsewhere", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stderr_logfile="+victim)}, "is outside"},
		{"log through a link", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stdout_logfile="+filepath.Join(s.LogDir, "escape", "x.log"))}, "symbolic link"},
		{"log with ..", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stdout_logfile="+s.LogDir+"/../../x.log")}, "'..'"},
		{"log in root's home", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stdout_logfile=~/x.log")}, "absolute path"},
		{"log from the environment", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stdout_logfile=%(ENV_HOME)s/x.log")}, "is outside"},
		{"log where %(here)s is", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "stdout_logfile=%(here)s/x.log")}, "can't be checked"},
		{"raw: USER in capitals", "supervisor.program.add", "evil", []ops.Arg{arg("content", "[program:evil]\ncommand=/bin/sleep 600\nuser=www-data\nUSER=root\n")}, "run as root"},
		{"raw: user with ':' and tabs, last wins", "supervisor.program.add", "evil", []ops.Arg{arg("content", "[program:evil]\ncommand=/bin/sleep 600\nuser=www-data\n\nuser\t:\troot\n")}, "run as root"},
		{"numeric uid 0", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("user", "0")}, "run as 0"},
		{"--set User=root", "supervisor.program.add", "evil", []ops.Arg{cmd, arg("set", "User=root")}, "run as root"},
		{"process name with a slash from the environment", "supervisor.program.add", "evil", []ops.Arg{arg("content", "[program:evil]\ncommand=/bin/sleep 600\nuser=www-data\nenvironment=P=\"../../x\"\nprocess_name=%(ENV_P)s\nstdout_logfile=AUTO\n")}, "may not contain \"/\""},
		{"command of a root program", "supervisor.program.edit", "legacy", []ops.Arg{cmd}, "a change to command"},
		{"environment of a root program", "supervisor.program.edit", "legacy", []ops.Arg{arg("set", "environment=LD_PRELOAD=/tmp/x.so")}, "a change to environment"},
		{"directory of a root program", "supervisor.program.edit", "legacy", []ops.Arg{arg("directory", "/tmp")}, "a change to directory"},
		{"raw edit of a root program", "supervisor.program.edit", "legacy", []ops.Arg{arg("content", legacyRaw)}, "a whole-file edit"},
		{"log of a root program", "supervisor.program.edit", "legacy", []ops.Arg{arg("set", "stdout_logfile="+victim)}, "is outside"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files, before := dirBytes(t, s.ProgramDir), pids(t, b)
			_, err := run(t, b, tt.op, tt.target, tt.args...)
			if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
			if now := dirBytes(t, s.ProgramDir); !maps.Equal(now, files) {
				t.Errorf("a refused write changed the program dir")
			}
			if now := pids(t, b); !maps.Equal(now, before) {
				t.Errorf("a refused write touched processes: %v, was %v", now, before)
			}
		})
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the victim file changed: %q", b)
	}

	// A program written by hand with its log outside the policy keeps it,
	// but no write may make supervisord create more files there: rotation
	// (log.1, log.2, ...) or a stderr log that redirect_stderr ignored.
	t.Run("rotation of a log outside the policy", func(t *testing.T) {
		conf := "[program:outlog]\ncommand=/bin/sleep 600\nautostart=false\nuser=nobody\n" +
			"stdout_logfile=" + filepath.Join(outside, "app.log") + "\nredirect_stderr=true\nstderr_logfile=" + filepath.Join(outside, "err.log") + "\n"
		path := filepath.Join(s.ProgramDir, "outlog.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		for _, a := range []ops.Arg{arg("set", "stdout_logfile_maxbytes=1KB"), arg("set", "stdout_logfile_backups=50"), arg("set", "redirect_stderr=false")} {
			_, err := run(t, b, "supervisor.program.edit", "outlog", a)
			if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "is outside") {
				t.Errorf("%s: %q", a.Value, msg)
			}
		}
		if now, _ := os.ReadFile(path); string(now) != conf {
			t.Errorf("outlog.conf changed:\n%s", now)
		}
	})
	// Values poolvisor cannot compute (%(here)s, %(host_node_name)s,
	// %(group_name)s) all look alike once computed; a change between them
	// is still a change.
	t.Run("command of a root program from one unknowable expansion to another", func(t *testing.T) {
		conf := "[program:herecmd]\ncommand=%(here)s/run.sh\nautostart=false\n"
		path := filepath.Join(s.ProgramDir, "herecmd.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		_, err := run(t, b, "supervisor.program.edit", "herecmd", arg("command", "%(group_name)s/run.sh"))
		if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "a change to command") {
			t.Errorf("%q", msg)
		}
		if now, _ := os.ReadFile(path); string(now) != conf {
			t.Errorf("herecmd.conf changed:\n%s", now)
		}
	})
	t.Run("new program runs as the first allowed user", func(t *testing.T) {
		_, err := run(t, b, "supervisor.program.add", "worker", cmd, arg("autostart", "false"))
		wantStatus(t, err, ops.StatusOK)
		data, _ := os.ReadFile(filepath.Join(s.ProgramDir, "worker.conf"))
		if !strings.Contains(string(data), "\nuser=www-data\n") {
			t.Errorf("worker.conf:\n%s", data)
		}
	})
	t.Run("a root program stays editable in other keys", func(t *testing.T) {
		_, err := run(t, b, "supervisor.program.edit", "legacy", arg("set", "stopwaitsecs=3"))
		wantStatus(t, err, ops.StatusOK)
	})
	t.Run("and can be edited back into the policy", func(t *testing.T) {
		_, err := run(t, b, "supervisor.program.edit", "legacy", arg("user", "nobody"), cmd)
		wantStatus(t, err, ops.StatusOK)
	})
}

// TestXMLRPCLoopbackOnly: whoever holds the XML-RPC password controls every
// program without poolvisor's approvals, so xmlrpc set opens the interface
// only on loopback; the main config is untouched by a refusal.
func TestXMLRPCLoopbackOnly(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	arg := func(k, v string) ops.Arg { return ops.Arg{Key: k, Value: v} }
	before, err := os.ReadFile(b.cfg.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"0.0.0.0", "10.0.0.5", "203.0.113.9"} {
		_, err := run(t, b, "supervisor.xmlrpc.set", "", arg("ip", ip), arg("port", "19011"), arg("username", "ops"))
		if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "--ip "+ip) || !strings.Contains(msg, "loopback") {
			t.Errorf("%s: %q", ip, msg)
		}
	}
	if now, _ := os.ReadFile(b.cfg.ConfigFile); string(now) != string(before) {
		t.Errorf("a refused xmlrpc set changed %s", b.cfg.ConfigFile)
	}
	// A port in use would keep supervisord from starting again.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	_, err = run(t, b, "supervisor.xmlrpc.set", "", arg("ip", "127.0.0.1"), arg("port", port), arg("username", "ops"))
	if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "already listens") {
		t.Errorf("busy port: %q", msg)
	}
	_, err = run(t, b, "supervisor.xmlrpc.set", "", arg("ip", "127.0.0.1"), arg("port", "19011"), arg("username", "ops"))
	wantStatus(t, err, ops.StatusOK)
}

// TestWriteEffects: writes declare what they do to running programs, so
// that the approval policy of each applies (SPEC §6): an edit of a running
// program restarts it, and stops it when it no longer starts by itself; a
// delete of a running program stops it.
func TestWriteEffects(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	b.cfg.Policy = writepolicy.Policy{ProgramUsers: []string{"www-data", "nobody"}}
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	if err := os.WriteFile(filepath.Join(s.ProgramDir, "web.conf"), []byte("[program:web]\ncommand="+rpcSleeperCmd+"\nuser=nobody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := func(name string, args ...ops.Arg) []string {
		t.Helper()
		p, err := b.Handlers()[name].Plan(context.Background(), ops.Request{Op: ops.Operation{Name: name, Target: "web", Args: args}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return p.Effects
	}
	arg := func(k, v string) ops.Arg { return ops.Arg{Key: k, Value: v} }
	for _, tt := range []struct {
		name string
		got  []string
		want string
	}{
		{"edit", plan("supervisor.program.edit", arg("set", "stopwaitsecs=3")), "supervisor.program.restart"},
		{"edit to autostart=false", plan("supervisor.program.edit", arg("autostart", "false")), "supervisor.program.restart supervisor.program.stop"},
		{"delete", plan("supervisor.program.delete"), "supervisor.program.stop"},
	} {
		if got := strings.Join(tt.got, " "); got != tt.want {
			t.Errorf("%s: effects %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestDaemonCheckIgnoresWorkingDir: supervisord's own config check runs
// python as root; a supervisor package in the directory poolvisor was
// started from (one a program of an allowed user could write) must not be
// what it imports. Not parallel: it changes the working directory.
func TestDaemonCheckIgnoresWorkingDir(t *testing.T) {
	if supervisordPython() == "" {
		t.Skip("supervisord's python is not known here")
	}
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	if !b.local {
		t.Skip("the check runs only for a local supervisord")
	}
	cwd := t.TempDir()
	marker := filepath.Join(cwd, "PWNED")
	if err := os.MkdirAll(filepath.Join(cwd, "supervisor"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cwd, "supervisor", "__init__.py"), []byte("open("+strconv.Quote(marker)+", 'w').write('x')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	path := filepath.Join(s.ProgramDir, "x.conf")
	err := b.daemonCheck(context.Background(), fileChange{path: path, new: []byte("[program:x]\ncommand=/bin/true\nuser=nobody\n")})
	if err != nil {
		t.Fatalf("daemonCheck: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the check imported supervisor from the working directory")
	}
	err = b.daemonCheck(context.Background(), fileChange{path: path, new: []byte("[program:x]\ncommand=/bin/true\nstopsignal=NOPE\n")})
	if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "supervisord's own check") {
		t.Errorf("a bad file: %q", msg)
	}
}

// TestInetRisk: xmlrpc show warns when supervisord's XML-RPC interface, as
// the host already has it, lets more than its password holder in: with no
// password every local user (a PHP site's included) controls every program
// as root; beyond loopback, whoever reaches the port.
func TestInetRisk(t *testing.T) {
	for _, tt := range []struct {
		port string
		pw   bool
		want string
	}{
		{"127.0.0.1:9001", true, ""},
		{"localhost:9001", true, ""},
		{"[::1]:9001", true, ""},
		{"127.0.0.1:9001", false, "every local user"},
		{"*:9001", true, "beyond loopback"},
		{":9001", true, "beyond loopback"},
		{"9001", true, "beyond loopback"},
		{"0.0.0.0:9001", false, "no password: anyone who can reach"},
		{"10.0.0.5:9001", true, "beyond loopback"},
	} {
		if got := inetRisk(tt.port, tt.pw); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("inetRisk(%q, %v) = %q, want %q", tt.port, tt.pw, got, tt.want)
		}
	}

	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	raw, err := os.ReadFile(b.cfg.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	// As a host set up by hand has it: loopback, no password.
	if err := os.WriteFile(b.cfg.ConfigFile, append(raw, []byte("\n[inet_http_server]\nport = 127.0.0.1:19012 ; for the dashboard\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := run(t, b, "supervisor.xmlrpc.show", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Message, "Warning: it has no password") || !strings.Contains(res.Message, "/supervisor xmlrpc set") {
		t.Errorf("xmlrpc show on a password-less interface: %q", res.Message)
	}
	if x := res.Data.(map[string]any)["xmlrpc"].(XMLRPC); x.Risk == "" {
		t.Errorf("the data carries no risk: %+v", x)
	}
}

// TestHiddenIncludes: supervisord reads [include] files= with Python's
// glob, whose * skips names that start with a dot. A hand-kept backup
// such as .web.conf (which sorts first) is not what supervisord reads, so
// poolvisor must neither show it nor write to it.
func TestHiddenIncludes(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	hidden := filepath.Join(s.ProgramDir, ".web.conf")
	backup := []byte("[program:web]\ncommand=" + rpcSleeperCmd + "\nstartsecs=9\n")
	if err := os.WriteFile(hidden, backup, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := findProgramFile(b.cfg.ConfigFile, b.cfg.ProgramDir, "web", b.includeEnv)
	if err != nil || path != filepath.Join(s.ProgramDir, "web.conf") {
		t.Fatalf("findProgramFile = %q, %v; want the web.conf supervisord reads", path, err)
	}
	files, err := includedFiles(b.cfg.ConfigFile, b.includeEnv)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(files, hidden) {
		t.Errorf("includedFiles lists %s, which supervisord does not read: %q", hidden, files)
	}
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "set", Value: "startsecs=2"})
	wantStatus(t, err, ops.StatusOK)
	if now, _ := os.ReadFile(hidden); string(now) != string(backup) {
		t.Errorf("the hidden backup was written:\n%s", now)
	}
	if now, _ := os.ReadFile(filepath.Join(s.ProgramDir, "web.conf")); !strings.Contains(string(now), "startsecs=2") && !strings.Contains(string(now), "startsecs = 2") {
		t.Errorf("web.conf was not edited:\n%s", now)
	}
}

// TestIncludeExpansions: supervisord expands [include] files= with
// %(here)s, %(host_node_name)s and %(ENV_X)s from its own environment
// before globbing; a host whose include names a variable must show and
// edit its programs like any other.
func TestIncludeExpansions(t *testing.T) {
	t.Setenv("PV_TEST_SITE_CONF", "set-for-supervisord-only")
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 5*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	// supervisord was started with the variable; poolvisor must read it
	// from supervisord, not from its own environment.
	os.Unsetenv("PV_TEST_SITE_CONF")
	raw, err := os.ReadFile(b.cfg.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	before := len(mustIncluded(t, b))
	for _, tt := range []struct {
		name, files, wantErr string
	}{
		{"env", "%(ENV_PV_TEST_SITE_CONF)s", ""},
		{"unset variable", "%(ENV_PV_NOT_SET)s", "PV_NOT_SET is not set in supervisord's environment"},
		{"unknown name", "%(program_name)s", "has no %(program_name)s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The variable holds no path here, so point at the real one
			// with a literal and make the expansion part of the pattern.
			value := s.ProgramDir + "/*.conf " + s.ProgramDir + "/" + tt.files + "-none/*.conf"
			main := regexp.MustCompile(`(?m)^files\s*=.*$`).ReplaceAllLiteral(raw, []byte("files = "+value))
			if err := os.WriteFile(b.cfg.ConfigFile, main, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.WriteFile(b.cfg.ConfigFile, raw, 0o600) })
			got, err := includePatterns(b.cfg.ConfigFile, b.includeEnv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("includePatterns = %q, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := s.ProgramDir + "/set-for-supervisord-only-none/*.conf"; len(got) != 2 || got[1] != want {
				t.Fatalf("includePatterns = %q, want the second to be %q", got, want)
			}
			if n := len(mustIncluded(t, b)); n != before {
				t.Errorf("included files: %d, want %d", n, before)
			}
			path, err := findProgramFile(b.cfg.ConfigFile, b.cfg.ProgramDir, "web", b.includeEnv)
			if err != nil || path != filepath.Join(s.ProgramDir, "web.conf") {
				t.Errorf("findProgramFile = %q, %v", path, err)
			}
		})
	}
	host, _ := os.Hostname()
	if got, err := expandInclude("/etc/%(host_node_name)s/%%/*.conf", nil); err != nil || got != "/etc/"+host+"/%/*.conf" {
		t.Errorf("expandInclude host_node_name and %%%%: %q, %v", got, err)
	}
	if _, err := expandInclude("/etc/%(ENV_X)s/*.conf", nil); err == nil || !strings.Contains(err.Error(), "not known") {
		t.Errorf("expandInclude without an environment: %v", err)
	}
}

func mustIncluded(t *testing.T, b *Backend) []string {
	t.Helper()
	files, err := includedFiles(b.cfg.ConfigFile, b.includeEnv)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
