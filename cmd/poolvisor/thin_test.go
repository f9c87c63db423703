package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/socket"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// Binaries built once for every test here: thin and full side by side, as
// installed, and alone, a thin client with no poolvisord anywhere.
var thin, full, alone string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "poolvisor-thin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	thin, full = filepath.Join(dir, "both", "poolvisor"), filepath.Join(dir, "both", "poolvisord")
	alone = filepath.Join(dir, "alone", "poolvisor")
	for out, pkg := range map[string]string{thin: ".", full: "../poolvisord", alone: "."} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", out+":", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// settle bounds every wait for a condition: only a failure reaches it.
const settle = time.Minute

type outcome struct {
	stdout, stderr string
	code           int
}

// uptime is the one thing of a status that changes between two runs:
// supervisord's "uptime 0:00:03" and the table's "3s" (whose column may
// widen, hence spaces are collapsed too).
var (
	uptime  = regexp.MustCompile(`uptime \d+:\d\d:\d\d|\b(\d+[dhms])+\b`)
	seconds = regexp.MustCompile(`"uptime_seconds":\d+`) // in --json, kept valid JSON
	spaces  = regexp.MustCompile(` +`)
)

// runBin runs bin with args and env (PATH holding no poolvisord) and returns
// what it printed, uptimes blanked, and its exit code.
func runBin(t *testing.T, bin string, env []string, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + t.TempDir(), "HOME=" + os.Getenv("HOME")}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if code < 0 {
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	blank := func(s string) string {
		s = seconds.ReplaceAllString(s, `"uptime_seconds":0`)
		return spaces.ReplaceAllString(uptime.ReplaceAllString(s, "UPTIME"), " ")
	}
	return outcome{blank(stdout.String()), blank(stderr.String()), code}
}

// host is a real supervisord, a config for it, and serve's socket path.
type host struct {
	config, socket string
}

func newHost(t *testing.T) host {
	t.Helper()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	sv := sandbox.Supervisor(t,
		sandbox.Program{Name: "web", Command: `/bin/sh -c "while true; do sleep 3600; done"`},
		sandbox.Program{Name: "idle", Command: "/bin/true", Autostart: new(bool)})
	// The two sides of a comparison run one after the other: web must be
	// RUNNING before, or one may see it STARTING and the other not.
	for deadline := time.Now().Add(settle); ; time.Sleep(50 * time.Millisecond) {
		if st, err := sv.ProcessStates(context.Background()); err == nil && st["web:web"] == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("web never RUNNING")
		}
	}
	dir := t.TempDir()
	h := host{config: filepath.Join(dir, "poolvisor.yaml"), socket: filepath.Join(dir, "p.sock")}
	cfg := fmt.Sprintf(`host: thin
data_dir: %s/data
listen: ""
phpfpm: {enabled: false}
supervisor: {url: %q, config_file: %q, program_dir: %q, log_dir: %q}
local: {socket: %q}
rbac:
  bindings:
    - {role: viewer, local_users: [%q]}
`, dir, sv.URL, sv.ConfigFile, sv.ProgramDir, sv.LogDir, h.socket, me.Username)
	if err := os.WriteFile(h.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// serve runs poolvisord serve for h until the test ends, once it answers
// on its socket.
func (h host) serve(t *testing.T) {
	t.Helper()
	cmd := exec.Command(full, "serve", "--config", h.config)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	for deadline := time.Now().Add(settle); ; time.Sleep(50 * time.Millisecond) {
		if _, err := socket.Dial(context.Background(), h.socket); err == nil {
			return
		}
		if time.Now().After(deadline) {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
			t.Fatalf("serve does not answer on %s:\n%s", h.socket, logs.String())
		}
	}
}

// same runs args with the thin client and with poolvisord and wants the
// same outcome, which it returns.
func same(t *testing.T, env []string, args ...string) outcome {
	t.Helper()
	got, want := runBin(t, thin, env, args...), runBin(t, full, env, args...)
	if got != want {
		t.Errorf("poolvisor %q:\nthin: %+v\nfull: %+v", args, got, want)
	}
	return got
}

// TestThinAnswersAsFull: the thin client prints and exits as poolvisord
// does, for what it does itself and for what it hands over.
func TestThinAnswersAsFull(t *testing.T) {
	h := newHost(t)
	noServe := filepath.Join(t.TempDir(), "none.sock")

	t.Run("own commands", func(t *testing.T) {
		for _, args := range [][]string{{"version"}, {"--version"}} {
			o := same(t, nil, args...)
			// Done without poolvisord: the alone client answers the same.
			if a := runBin(t, alone, nil, args...); a != o {
				t.Errorf("poolvisor %q without poolvisord: %+v, want %+v", args, a, o)
			}
		}
	})
	t.Run("handed over", func(t *testing.T) {
		for _, args := range [][]string{{}, {"help"}, {"frobnicate"}, {"status", "a", "b"}, {"exec"}, {"exec", "--nosuch", "--", "x"}, {"check-config", "--config", h.config},
			{"completion", "bash"}, {"completion", "fish"}, {"completion"}, {"completion", "tcsh"}} {
			o := same(t, nil, args...)
			if o.stdout+o.stderr == "" {
				t.Errorf("poolvisor %q printed nothing", args)
			}
		}
	})
	t.Run("serve down: direct mode", func(t *testing.T) {
		env := []string{"POOLVISOR_SOCKET=" + noServe, "POOLVISOR_CONFIG=" + h.config}
		want := map[string]int{"": 0, "--json": 0, "--verbose": 0}
		for flag, code := range want {
			args := []string{"exec", "--", "supervisor", "status"}
			if flag != "" {
				args = []string{"exec", flag, "--", "supervisor", "status"}
			}
			if o := same(t, env, args...); o.code != code || !strings.Contains(o.stdout, "web") {
				t.Errorf("poolvisor %q: %+v", args, o)
			}
		}
		if o := same(t, env, "exec", "--json", "--", "supervisor", "frobnicate"); o.code != 2 {
			t.Errorf("unknown operation: %+v", o)
		}
	})

	h.serve(t)
	env := []string{"POOLVISOR_SOCKET=" + h.socket}
	t.Run("through serve", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			code int
		}{
			{[]string{"exec", "--", "supervisor", "status"}, 0},
			{[]string{"exec", "--verbose", "--", "supervisor status web"}, 0},
			{[]string{"exec", "--json", "--", "supervisor", "status"}, 0},
			{[]string{"exec", "--json", "--verbose", "--", "supervisor", "status"}, 0},
			{[]string{"status"}, 0},
			{[]string{"status", "--json", "web"}, 0},
			{[]string{"status", "nosuch"}, 2},
			{[]string{"exec", "--", "supervisor", "restart", "web"}, 3},        // a viewer
			{[]string{"exec", "--as", "bob", "--", "supervisor", "status"}, 3}, // refused on the socket
			{[]string{"exec", "--json", "--as", "bob", "--", "supervisor", "status"}, 3},
		} {
			o := same(t, env, c.args...)
			if o.code != c.code {
				t.Errorf("poolvisor %q: exit %d, want %d: %+v", c.args, o.code, c.code, o)
			}
			// Through the socket the thin client needs no poolvisord.
			if a := runBin(t, alone, env, c.args...); a != o {
				t.Errorf("poolvisor %q without poolvisord: %+v, want %+v", c.args, a, o)
			}
		}
		o := same(t, env, "exec", "--json", "--verbose", "--", "supervisor", "status")
		if !strings.Contains(o.stderr, "through serve on "+h.socket) {
			t.Errorf("--verbose does not say serve answered: %q", o.stderr)
		}
		var r struct{ Status string }
		if err := json.Unmarshal([]byte(o.stdout), &r); err != nil || r.Status != "ok" {
			t.Errorf("--json through serve: %v: %s", err, o.stdout)
		}
	})
	t.Run("--direct with serve up", func(t *testing.T) {
		o := same(t, env, "exec", "--direct", "--verbose", "--config", h.config, "--", "supervisor", "status")
		if o.code != 0 || !strings.Contains(o.stderr, "direct (--direct)") {
			t.Errorf("--direct: %+v", o)
		}
	})
}

// TestWithoutPoolvisord: what the thin client cannot do alone fails
// clearly, as a run that could not start, one JSON object with --json.
func TestWithoutPoolvisord(t *testing.T) {
	env := []string{"POOLVISOR_SOCKET=" + filepath.Join(t.TempDir(), "none.sock")}
	for _, args := range [][]string{{"serve"}, {"exec", "--", "supervisor", "status"}, {"status", "--direct"}, {}} {
		o := runBin(t, alone, env, args...)
		if o.code != 1 || !strings.Contains(o.stderr, "poolvisord is neither next to this poolvisor") || o.stdout != "" {
			t.Errorf("poolvisor %q without poolvisord: %+v", args, o)
		}
	}
	o := runBin(t, alone, env, "exec", "--json", "--", "supervisor", "status")
	var r struct{ Status, Message string }
	if err := json.Unmarshal([]byte(o.stdout), &r); err != nil || r.Status != "failed" || !strings.Contains(r.Message, "poolvisord") || o.code != 1 {
		t.Errorf("--json without poolvisord: %v: %+v", err, o)
	}
}

// TestUntrustedPoolvisord: running as root, the thin client does not hand
// over to a poolvisord that another user owns or could have replaced (a
// $PATH someone set, a directory anyone may write): root would run it.
func TestUntrustedPoolvisord(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the check applies to root (run the tests as root, as CI does)")
	}
	raw, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"POOLVISOR_SOCKET=" + filepath.Join(t.TempDir(), "none.sock")}
	for _, tt := range []struct {
		name      string
		dirMode   os.FileMode
		owner     int
		wantError string
	}{
		{"owned by another user", 0o755, 65534, "is not root's alone (owner uid 65534"},
		{"in a directory anyone may write", 0o777, 0, "is not root's alone (owner uid 0, mode -rwxrwxrwx)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bin")
			if err := os.Mkdir(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dirMode); err != nil { // past the umask
				t.Fatal(err)
			}
			daemon := filepath.Join(dir, "poolvisord")
			if err := os.WriteFile(daemon, raw, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(daemon, tt.owner, tt.owner); err != nil {
				t.Fatal(err)
			}
			o := runBin(t, alone, append(env, "PATH="+dir), "status", "--direct")
			if o.code != 1 || !strings.Contains(o.stderr, tt.wantError) {
				t.Errorf("hand-over to %s: %+v", daemon, o)
			}
		})
	}
	// The same file, root's in a root-only directory, is run.
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "poolvisord"), raw, 0o755); err != nil {
		t.Fatal(err)
	}
	if o := runBin(t, alone, append(env, "PATH="+dir), "version"); o.code != 0 {
		t.Errorf("version: %+v", o)
	}
	if o := runBin(t, alone, append(env, "PATH="+dir), "check-config", "--config", filepath.Join(t.TempDir(), "none.yaml")); strings.Contains(o.stderr, "not root's alone") {
		t.Errorf("a root-owned poolvisord was refused: %+v", o)
	}
}
