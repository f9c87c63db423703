package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// binary is the poolvisor (the thin client, poolvisord beside it) built
// once for every end-to-end test.
var binary string

// settle bounds every wait for a condition in these tests: generous, so
// that only a failure reaches it however busy the machine is. How long
// things take is never asserted.
const settle = time.Minute

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "poolvisor-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "poolvisor")
	// exec and console try serve's socket first: point them at one that
	// never answers, so that a serve running on this machine is not used.
	os.Setenv("POOLVISOR_SOCKET", filepath.Join(dir, "no-serve.sock"))
	// The test hooks let a test stop a write at a named point (testhook).
	// Both binaries, side by side as installed: the thin poolvisor the
	// tests run hands what it does not do itself to poolvisord next to it.
	for _, cmd := range []string{"poolvisor", "poolvisord"} {
		build := exec.Command("go", "build", "-tags", "poolvisor_testhooks", "-o", filepath.Join(dir, cmd), "../../cmd/"+cmd)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build "+cmd+":", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is `poolvisor exec --json` output.
type result struct {
	Status     string          `json:"status"`
	Operation  string          `json:"operation"`
	Message    string          `json:"message"`
	ApprovalID string          `json:"approval_id"`
	Data       json.RawMessage `json:"data"`
	Private    string          `json:"private"` // for the requester alone
	code       int
}

type programs struct {
	Programs []struct {
		Name  string `json:"name"`
		Group string `json:"group"`
		State string `json:"state"`
		PID   int    `json:"pid"`
	} `json:"programs"`
}

func (r result) programs(t *testing.T) map[string]int {
	t.Helper()
	var p programs
	if err := json.Unmarshal(r.Data, &p); err != nil {
		t.Fatalf("decode programs from %s: %v", r.Data, err)
	}
	out := map[string]int{}
	for _, pr := range p.Programs {
		out[pr.Name+" "+pr.State] = pr.PID
	}
	return out
}

type env struct {
	t      *testing.T
	config string
	sv     *sandbox.Supervisord
}

// newEnv starts a real supervisord with programs and writes a poolvisor
// config for it with four people: alice and bob (admins), olga (operator)
// and vic (viewer).
func newEnv(t *testing.T, progs ...sandbox.Program) *env {
	t.Helper()
	return newEnvWith(t, envOptions{}, progs...)
}

// envOptions change newEnv's config: serve's socket (none by default),
// bindings added to the four people's and the phpfpm section (disabled).
type envOptions struct {
	socket, socketGroup string
	phpfpm              string // the whole phpfpm section, "phpfpm:\n  ..."
	bindings            string // YAML lines of rbac.bindings, each "    - {...}\n"
}

// newEnvWith is newEnv with options.
func newEnvWith(t *testing.T, o envOptions, progs ...sandbox.Program) *env {
	t.Helper()
	sv := sandbox.Supervisor(t, progs...)
	path := e2eConfig{
		sv:     sv,
		phpfpm: o.phpfpm,
		local:  fmt.Sprintf(`{allow_impersonation: true, socket: "%s", socket_group: "%s"}`, o.socket, o.socketGroup),
		bindings: []string{
			"{role: admin, local_users: [alice, bob]}",
			"{role: operator, local_users: [olga]}",
			"{role: viewer, local_users: [vic]}",
		},
		rbac: o.bindings,
	}.write(t)
	return &env{t: t, config: path, sv: sv}
}

// approved asks for text as who, which must wait for approval, and has
// approver approve it; it returns the approval's answer.
func (e *env) approved(who, approver, text string) result {
	e.t.Helper()
	id := e.want(who, text, "pending_approval", 4).ApprovalID
	return e.want(approver, "ops approve "+id, "ok", 0)
}

// exec runs `poolvisor exec --json` as a local user.
func (e *env) exec(as, text string) result {
	e.t.Helper()
	cmd := exec.Command(binary, "exec", "--config", e.config, "--as", as, "--json", "--", text)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var r result
	if jerr := json.Unmarshal(stdout.Bytes(), &r); jerr != nil {
		e.t.Fatalf("exec %q: not one JSON object (%v): %s\nstderr: %s (err %v)", text, jerr, stdout.String(), stderr.String(), err)
	}
	r.code = cmd.ProcessState.ExitCode()
	return r
}

// want runs text as who and checks its status and exit code.
func (e *env) want(who, text, status string, code int) result {
	e.t.Helper()
	r := e.exec(who, text)
	if r.Status != status || r.code != code {
		e.t.Fatalf("%s: %q = %s (exit %d), want %s (exit %d)\n%s", who, text, r.Status, r.code, status, code, r.Message)
	}
	return r
}

// waitRunning waits until every listed process is RUNNING.
func (e *env) waitRunning(names ...string) map[string]int {
	e.t.Helper()
	deadline := time.Now().Add(settle)
	for {
		got := e.want("vic", "supervisor status", "ok", 0).programs(e.t)
		all := true
		for _, n := range names {
			if _, ok := got[n+" RUNNING"]; !ok {
				all = false
			}
		}
		if all {
			return got
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("processes %v not RUNNING: %v", names, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func loop(msg string) string {
	return fmt.Sprintf(`/bin/sh -c "while true; do echo %s; sleep 1; done"`, msg)
}

func TestEndToEnd(t *testing.T) {
	no := false
	e := newEnv(t,
		sandbox.Program{Name: "web", Command: loop("serving")},
		sandbox.Program{Name: "queue", Command: loop("working"), NumProcs: 2},
		sandbox.Program{Name: "colors", Command: `/bin/sh -c "while true; do printf '\033[31mred\033[0m \033]0;title\007plain\n'; sleep 1; done"`},
		// startsecs is long so that even a machine too busy to run the shell
		// within a second sees it die before it counts as started.
		sandbox.Program{Name: "broken", Command: `/bin/sh -c "echo 'fatal: cannot connect to redis' >&2; exit 3"`, Autostart: &no, StartSecs: 10},
	)
	procs := []string{"web", "queue:queue_00", "queue:queue_01", "colors"}
	before := e.waitRunning(procs...)

	t.Run("status of several programs", func(t *testing.T) {
		r := e.want("vic", "/supervisor status", "ok", 0)
		got := r.programs(t)
		if _, ok := got["broken STOPPED"]; !ok || len(got) != 5 {
			t.Errorf("status: %v", got)
		}
		if !strings.Contains(r.Message, "queue:queue_01") {
			t.Errorf("status message:\n%s", r.Message)
		}
		r = e.want("vic", "supervisor status queue:*", "ok", 0)
		if len(r.programs(t)) != 2 {
			t.Errorf("group status: %s", r.Data)
		}
		e.want("vic", "supervisor status nope", "invalid", 2)
	})

	t.Run("viewer is denied and nothing changes", func(t *testing.T) {
		r := e.want("vic", "supervisor stop web", "denied", 3)
		if strings.Contains(r.Message, "RUNNING") {
			t.Errorf("denied answer leaks state: %q", r.Message)
		}
		e.want("vic", "supervisor stop no-such-program", "denied", 3) // learns nothing about what exists
		e.want("mallory", "supervisor status", "denied", 3)
		after := e.waitRunning("web")
		if after["web RUNNING"] != before["web RUNNING"] {
			t.Errorf("web's pid changed after a denied stop")
		}
	})

	t.Run("operator stops and starts", func(t *testing.T) {
		// A stop waits for approval, so stop-then-start is no way around
		// the restart's approval.
		r := e.approved("olga", "alice", "supervisor stop web")
		if _, ok := r.programs(t)["web STOPPED"]; !ok {
			t.Errorf("stop answered %s", r.Data)
		}
		r = e.want("olga", "supervisor start web", "ok", 0)
		got := r.programs(t)
		if pid := got["web RUNNING"]; pid == 0 || pid == before["web RUNNING"] {
			t.Errorf("start answered %v", got)
		}
		e.want("olga", "supervisor start web", "invalid", 2) // already running
	})

	t.Run("a failed start says why", func(t *testing.T) {
		r := e.want("olga", "supervisor start broken", "failed", 1)
		if !strings.Contains(r.Message, "fatal: cannot connect to redis") {
			t.Errorf("failed start does not show the log:\n%s", r.Message)
		}
		e.exec("alice", "supervisor stop broken") // pending: the approval expires unused
	})

	t.Run("logs are clean text", func(t *testing.T) {
		r := e.want("vic", "supervisor logs colors --bytes 200", "ok", 0)
		if !strings.Contains(r.Message, "red plain") || strings.ContainsAny(r.Message, "\x1b\x07") {
			t.Errorf("log not cleaned: %q", r.Message)
		}
		r = e.want("vic", "supervisor logs queue", "invalid", 2)
		if !strings.Contains(r.Message, "queue:queue_00") {
			t.Errorf("group log hint: %q", r.Message)
		}
	})

	t.Run("restart needs a second admin", func(t *testing.T) {
		pids := e.waitRunning(procs...)
		r := e.want("alice", "supervisor restart queue:*", "pending_approval", 4)
		id := r.ApprovalID
		if id == "" || !strings.Contains(r.Message, id) {
			t.Fatalf("pending answer without id: %+v", r)
		}
		e.want("alice", "ops approve "+id, "conflict", 5) // own request
		e.want("olga", "ops approve "+id, "denied", 3)    // not an approver
		r = e.want("vic", "ops approvals", "ok", 0)
		if !strings.Contains(r.Message, id) {
			t.Errorf("approvals list: %q", r.Message)
		}
		r = e.want("bob", "ops approve "+id, "ok", 0)
		got := r.programs(t)
		for _, n := range []string{"queue:queue_00", "queue:queue_01"} {
			if pid := got[n+" RUNNING"]; pid == 0 || pid == pids[n+" RUNNING"] {
				t.Errorf("%s not restarted: %v (before %d)", n, got, pids[n+" RUNNING"])
			}
		}
		if got2 := e.waitRunning("web"); got2["web RUNNING"] != pids["web RUNNING"] {
			t.Errorf("restart of queue:* touched web")
		}
		e.want("alice", "ops deny "+id, "conflict", 5) // decided already
		e.want("bob", "ops approve "+id, "conflict", 5)
	})

	t.Run("deny sticks", func(t *testing.T) {
		id := e.want("olga", "supervisor restart web", "pending_approval", 4).ApprovalID
		e.want("bob", "ops deny "+id+" not during the sale", "ok", 0)
		e.want("alice", "ops approve "+id, "conflict", 5)
	})

	t.Run("a change underneath turns approval into conflict", func(t *testing.T) {
		id := e.want("olga", "supervisor restart web", "pending_approval", 4).ApprovalID
		e.approved("olga", "alice", "supervisor stop web")
		r := e.want("bob", "ops approve "+id, "conflict", 5)
		if !strings.Contains(r.Message, "changed since it was requested") {
			t.Errorf("conflict message: %q", r.Message)
		}
		e.want("olga", "supervisor start web", "ok", 0)
	})

	t.Run("audit shows all of it", func(t *testing.T) {
		r := e.want("vic", "ops audit 200", "ok", 0)
		var data struct {
			Entries []struct {
				Actor, Operation, Status, ApprovalID, Approver string
			} `json:"entries"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, en := range data.Entries {
			seen[en.Status+" "+en.Actor+" "+en.Operation] = true
			if en.Operation == "supervisor.program.restart" && en.Status == "ok" && en.Approver != "local:bob" {
				t.Errorf("applied restart without approver: %+v", en)
			}
		}
		for _, want := range []string{
			"denied local:vic supervisor.program.stop",
			"denied local:mallory supervisor.program.list",
			"ok local:olga supervisor.program.stop",
			"failed local:olga supervisor.program.start",
			"pending_approval local:alice supervisor.program.restart",
			"conflict local:alice ops.approve",
			"denied local:olga ops.approve",
			"ok local:bob ops.approve",
			"ok local:alice supervisor.program.restart",
			"ok local:bob ops.approve",
			"conflict local:bob ops.approve",
		} {
			if !seen[want] {
				t.Errorf("audit lacks %q", want)
			}
		}
		raw, err := os.ReadFile(filepath.Join(filepath.Dir(e.config), "data", "audit.jsonl"))
		if err != nil || bytes.Count(raw, []byte("\n")) < len(data.Entries) {
			t.Errorf("audit.jsonl mirror: %d lines for %d entries (%v)", bytes.Count(raw, []byte("\n")), len(data.Entries), err)
		}
	})

	t.Run("impersonation needs the config", func(t *testing.T) {
		cfg, _ := os.ReadFile(e.config)
		strict := filepath.Join(t.TempDir(), "strict.yaml")
		os.WriteFile(strict, bytes.Replace(cfg, []byte("allow_impersonation: true"), []byte("allow_impersonation: false"), 1), 0o600)
		out, err := exec.Command(binary, "exec", "--config", strict, "--as", "alice", "--", "ops whoami").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "allow_impersonation") {
			t.Errorf("--as without allow_impersonation: %v %s", err, out)
		}
	})

	t.Run("check-config redacts secrets", func(t *testing.T) {
		secret := filepath.Join(t.TempDir(), "pw")
		os.WriteFile(secret, []byte("s3cr3t-pw\n"), 0o600)
		cmd := exec.Command(binary, "check-config", "--config", e.config)
		cmd.Env = append(os.Environ(), "POOLVISOR_SUPERVISOR_PASSWORD_FILE="+secret, "POOLVISOR_SUPERVISOR_USERNAME=admin")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "s3cr3t-pw") || !strings.Contains(string(out), "[redacted]") {
			t.Errorf("check-config: %v\n%s", err, out)
		}
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("supervisor:\n  urll: x\n"), 0o600)
		out, err = exec.Command(binary, "check-config", "--config", bad).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "supervisor.urll") {
			t.Errorf("unknown key: %v\n%s", err, out)
		}
	})

	var healthURL string
	t.Run("serve answers healthz", func(t *testing.T) {
		healthURL = e.serve(t)
		code, body := get(t, healthURL)
		if code != 200 || !strings.Contains(body, `"supervisord"`) {
			t.Errorf("healthz %d %s", code, body)
		}
		code, body = get(t, strings.TrimSuffix(healthURL, "/healthz")+"/metrics")
		if code != 200 || !strings.Contains(body, `poolvisor_supervisor_xmlrpc_calls_total{method="supervisor.getState"}`) ||
			!strings.Contains(body, "poolvisor_approvals_pending") {
			t.Errorf("metrics %d:\n%.2000s", code, body)
		}
	})

	t.Run("supervisord down answers failed naming the URL", func(t *testing.T) {
		if err := e.sv.Kill(); err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, healthURL); code != 503 || !strings.Contains(body, `"ok":false`) {
			t.Errorf("healthz with supervisord down: %d %s", code, body)
		}
		r := e.want("vic", "supervisor status", "failed", 1)
		if !strings.Contains(r.Message, e.sv.URL) {
			t.Errorf("message does not name %s: %q", e.sv.URL, r.Message)
		}
		e.want("vic", "ops whoami", "ok", 0) // the rest keeps working
	})

	t.Run("supervisord back: healthy again", func(t *testing.T) {
		sv, err := sandbox.StartSupervisord(e.sv.Dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sv.Stop() })
		for deadline := time.Now().Add(settle); ; time.Sleep(100 * time.Millisecond) {
			code, body := get(t, healthURL)
			if code == 200 && strings.Contains(body, `"name":"supervisord","ok":true`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("healthz after supervisord came back: %d %s", code, body)
			}
		}
		e.want("vic", "supervisor status", "ok", 0)
	})
}

// logBuffer collects a child process's output for assertions while it runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// serve starts `poolvisor serve` on a free port and returns its /healthz URL.
func (e *env) serve(t *testing.T, extraEnv ...string) string {
	url, _ := e.serveLogged(t, extraEnv...)
	return url
}

// serveLogged is serve that also returns serve's log.
func (e *env) serveLogged(t *testing.T, extraEnv ...string) (string, *logBuffer) {
	t.Helper()
	addr := freeAddr(t)
	// serve outlives the subtest that starts it: it stops with the env's test.
	logs := startServeUntil(t, e.t, e.config, "http://"+addr, append(extraEnv, "POOLVISOR_LISTEN="+addr)...)
	return "http://" + addr + "/healthz", logs
}

// freeAddr returns a loopback address that nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `poolvisor serve --config path` (with extra environment),
// waits until base/healthz answers, and stops it when the test ends. Its log
// is returned, and shown when the test failed.
func startServe(t *testing.T, path, base string, extraEnv ...string) *logBuffer {
	t.Helper()
	return startServeUntil(t, t, path, base, extraEnv...)
}

// startServeUntil is startServe with serve stopped when owner ends.
func startServeUntil(t, owner *testing.T, path, base string, extraEnv ...string) *logBuffer {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", path)
	cmd.Env = append(os.Environ(), extraEnv...)
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	owner.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if owner.Failed() {
			owner.Logf("serve log:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(settle); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up at %s:\n%s", base, logs.String())
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
