package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// sockEnv is an env whose serve listens on a socket in a directory every
// user may enter, with a copy of the binary that every user may run.
type sockEnv struct {
	*env
	sock, bin string
	me        string // the user running the tests
}

func newSockEnv(t *testing.T) *sockEnv {
	t.Helper()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// t.TempDir is its owner's alone; a client running as nobody must
	// reach the socket and run the binary.
	dir, err := os.MkdirTemp("", "poolvisor-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "poolvisor")
	copyFile(t, binary, bin)
	copyFile(t, binary+"d", bin+"d") // poolvisord, which the thin poolvisor hands over to
	group := ""
	if os.Geteuid() == 0 {
		group = "nogroup" // nobody's, so that the clients below may connect
	}
	o := envOptions{
		socket:      filepath.Join(dir, "poolvisor.sock"),
		socketGroup: group,
		bindings: "    - {role: operator, local_users: [" + me.Username + "]}\n" +
			"    - {role: viewer, local_groups: [users]}\n",
	}
	e := newEnvWith(t, o, sandbox.Program{Name: "web", Command: loop("serving")})
	e.serve(t)
	return &sockEnv{env: e, sock: o.socket, bin: bin, me: me.Username}
}

// run runs the binary with args (prefixed by runAs, a command that runs
// it as another user) and returns its stdout, stderr and exit code.
func (s *sockEnv) run(runAs []string, args ...string) (string, string, int) {
	s.t.Helper()
	argv := append(append([]string{}, runAs...), s.bin)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "POOLVISOR_SOCKET="+s.sock, "POOLVISOR_CONFIG=/nonexistent/poolvisor.yaml")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		s.t.Fatalf("run %v: %v", argv, err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// json runs `exec --json --verbose -- text` and decodes its result,
// checking that it went through the socket.
func (s *sockEnv) json(runAs []string, text string) result {
	s.t.Helper()
	out, errOut, code := s.run(runAs, "exec", "--json", "--verbose", "--", text)
	var r result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		s.t.Fatalf("exec %q: not one JSON object (%v): %s\nstderr: %s", text, err, out, errOut)
	}
	if !strings.Contains(errOut, "through serve on "+s.sock) {
		s.t.Fatalf("exec %q did not use the socket; stderr: %s", text, errOut)
	}
	r.code = code
	return r
}

// asNobody returns the command that runs a client as nobody with the
// given primary group and supplementary groups, or skips the test when
// that is not possible here.
func asNobody(t *testing.T, group string, groups ...string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as nobody (setpriv); run as root to cover identities from the kernel")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv is not installed (util-linux)")
	}
	argv := []string{"setpriv", "--reuid", "nobody", "--regid", group}
	if len(groups) == 0 {
		return append(argv, "--clear-groups")
	}
	return append(argv, "--groups", strings.Join(groups, ","))
}

func TestLocalSocket(t *testing.T) {
	s := newSockEnv(t)

	t.Run("identity from the kernel and role via local_users", func(t *testing.T) {
		r := s.json(nil, "ops whoami")
		if r.Status != "ok" || !strings.Contains(r.Message, "You are local:"+s.me) || !strings.Contains(r.Message, "operator") {
			t.Fatalf("whoami through the socket: %s (exit %d)\n%s", r.Status, r.code, r.Message)
		}
		// A restart needs approval by default: the operator may ask for it.
		if r := s.json(nil, "supervisor restart web"); r.Status != "pending_approval" || r.code != 4 {
			t.Errorf("operator's restart through the socket: %s (exit %d)\n%s", r.Status, r.code, r.Message)
		}
	})

	t.Run("status is exec -- supervisor status", func(t *testing.T) {
		out, errOut, code := s.run(nil, "status", "web")
		if code != 0 || !strings.Contains(out, "web") {
			t.Errorf("status web: exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("console through the socket", func(t *testing.T) {
		cmd := exec.Command(s.bin, "console", "--socket", s.sock, "--verbose")
		cmd.Env = append(os.Environ(), "POOLVISOR_CONFIG=/nonexistent/poolvisor.yaml")
		cmd.Stdin = strings.NewReader("ops whoami\nsupervisor status web\nexit\n")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "You are local:"+s.me) || !strings.Contains(string(out), "through serve on") {
			t.Errorf("console: %v\n%s", err, out)
		}
	})

	t.Run("--as is refused on the socket", func(t *testing.T) {
		out, errOut, code := s.run(nil, "exec", "--as", "alice", "--", "supervisor stop web")
		if code != 3 || !strings.Contains(out, "--as is refused on the socket") {
			t.Errorf("--as alice: exit %d\n%s\n%s", code, out, errOut)
		}
		// The attempt to act as someone else is in the audit, as who tried.
		audit := s.json(nil, "ops audit 20 --format json").Message
		if !strings.Contains(audit, "asked --as alice") || !strings.Contains(audit, "supervisor.program.stop") || !strings.Contains(audit, `"denied"`) {
			t.Errorf("the refused --as is not in the audit:\n%s", audit)
		}
	})

	t.Run("role via local_groups", func(t *testing.T) {
		runAs := asNobody(t, "nogroup", "users")
		r := s.json(runAs, "ops whoami")
		if r.Status != "ok" || !strings.Contains(r.Message, "You are local:nobody") || !strings.Contains(r.Message, "viewer") {
			t.Fatalf("whoami as nobody in users: %s\n%s", r.Status, r.Message)
		}
		if r := s.json(runAs, "supervisor status web"); r.Status != "ok" {
			t.Errorf("viewer's status: %s\n%s", r.Status, r.Message)
		}
		if r := s.json(runAs, "supervisor restart web"); r.Status != "denied" || r.code != 3 {
			t.Errorf("viewer's restart: %s (exit %d)\n%s", r.Status, r.code, r.Message)
		}
	})

	t.Run("an unbound uid is denied and audited", func(t *testing.T) {
		runAs := asNobody(t, "nogroup")
		if r := s.json(runAs, "supervisor status"); r.Status != "denied" || r.code != 3 {
			t.Fatalf("unbound nobody: %s (exit %d)\n%s", r.Status, r.code, r.Message)
		}
		audit := s.json(nil, "ops audit 20").Message
		if !strings.Contains(audit, "local:nobody") || !strings.Contains(audit, "denied") {
			t.Errorf("the denial is not in the audit:\n%s", audit)
		}
	})

	t.Run("a user outside the socket's group is told so", func(t *testing.T) {
		runAs := asNobody(t, "daemon")
		_, errOut, code := s.run(runAs, "exec", "--", "supervisor status")
		if code == 0 || !strings.Contains(errOut, "may not connect to serve on "+s.sock) {
			t.Errorf("nobody outside nogroup: exit %d\n%s", code, errOut)
		}
	})

	t.Run("names for completion, as the user may list them", func(t *testing.T) {
		if out, errOut, code := s.run(nil, "__names", "program"); code != 0 || out != "web\n" {
			t.Errorf("programs: exit %d, %q, %s", code, out, errOut)
		}
		if out, _, code := s.run(nil, "__names", "pool"); code != 0 || out != "" {
			t.Errorf("pools of a host without PHP-FPM: exit %d, %q", code, out)
		}
		if out, _, code := s.run(nil, "__names", "--socket", filepath.Join(t.TempDir(), "none.sock"), "program"); code != 0 || out != "" {
			t.Errorf("no serve: exit %d, %q", code, out)
		}
		if out, _, code := s.run(asNobody(t, "nogroup", "users"), "__names", "program"); code != 0 || out != "web\n" {
			t.Errorf("a viewer: exit %d, %q", code, out)
		}
		if out, _, code := s.run(asNobody(t, "nogroup"), "__names", "program"); code != 0 || out != "" {
			t.Errorf("an unbound uid: exit %d, %q", code, out)
		}
	})

	t.Run("bash completes names from serve", func(t *testing.T) {
		bash, err := exec.LookPath("bash")
		if err != nil {
			t.Skip("bash is not installed")
		}
		script, errOut, code := s.run(nil, "completion", "bash")
		if code != 0 {
			t.Fatalf("completion bash: exit %d: %s", code, errOut)
		}
		path := filepath.Join(t.TempDir(), "poolvisor.bash")
		if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		for line, want := range map[string]string{
			"poolvisor exec -- supervisor restart w": "web",
			"poolvisor status w":                     "web",
		} {
			prog := "source " + path + "\nCOMP_WORDS=(" + line + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n_poolvisor\necho \"${COMPREPLY[*]}\"\n"
			cmd := exec.Command(bash, "--norc", "-c", prog)
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(s.bin)+":"+os.Getenv("PATH"), "POOLVISOR_SOCKET="+s.sock)
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != want {
				t.Errorf("%s: %v: %q, want %q", line, err, out, want)
			}
		}
	})

	t.Run("socket mode and group", func(t *testing.T) {
		fi, err := os.Lstat(s.sock)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
			t.Errorf("socket mode %v, want a socket with 0660", fi.Mode())
		}
		want := os.Getgid()
		if os.Geteuid() == 0 {
			g, err := user.LookupGroup("nogroup")
			if err != nil {
				t.Fatal(err)
			}
			want, _ = strconv.Atoi(g.Gid)
		}
		if gid := int(fi.Sys().(*syscall.Stat_t).Gid); gid != want {
			t.Errorf("socket group %d, want %d", gid, want)
		}
	})

	t.Run("a garbage or unfinished request is cut off, others are served", func(t *testing.T) {
		slow, err := net.Dial("unix", s.sock)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		slow.Write([]byte(`{"text": "supervisor sta`)) // and never more
		garbage, err := net.Dial("unix", s.sock)
		if err != nil {
			t.Fatal(err)
		}
		defer garbage.Close()
		garbage.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
		if r := s.json(nil, "supervisor status web"); r.Status != "ok" {
			t.Errorf("a client beside them: %s\n%s", r.Status, r.Message)
		}
		for name, c := range map[string]net.Conn{"garbage": garbage, "unfinished": slow} {
			c.SetReadDeadline(time.Now().Add(settle))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || !strings.Contains(line, `"error":"bad request`) {
				t.Errorf("%s request: answer %q (%v)", name, line, err)
			}
			if _, err := c.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("%s request: connection not closed after the error (%v)", name, err)
			}
		}
	})

	t.Run("fallback to direct when serve does not answer", func(t *testing.T) {
		none := filepath.Join(filepath.Dir(s.sock), "none.sock")
		out, errOut, code := s.run(nil, "exec", "--socket", none, "--config", s.config, "--as", "vic", "--json", "--verbose", "--", "supervisor status web")
		if code != 0 || !strings.Contains(out, `"status":"ok"`) || !strings.Contains(errOut, "direct") {
			t.Errorf("fallback: exit %d\n%s\n%s", code, out, errOut)
		}
		out, errOut, code = s.run(nil, "exec", "--direct", "--config", s.config, "--as", "vic", "--verbose", "--", "ops whoami")
		if code != 0 || !strings.Contains(out, "local:vic") || !strings.Contains(errOut, "direct (--direct)") {
			t.Errorf("--direct: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}
