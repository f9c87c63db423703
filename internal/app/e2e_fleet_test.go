package app_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/fleet"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/sandbox/natsbox"
)

// agentProc is one host's `poolvisor serve` in agent mode.
type agentProc struct {
	t      *testing.T
	host   string
	env    *env
	addr   string
	cmd    *exec.Cmd
	logs   *logBuffer
	natsOK func() bool
}

func (p *agentProc) start() {
	p.t.Helper()
	p.logs = startServeUntil(p.t, p.t, p.env.config, "http://"+p.addr, "POOLVISOR_LISTEN="+p.addr)
}

// kill stops the agent the hard way, as a crash or a lost host would.
func (p *agentProc) kill() {
	p.t.Helper()
	out, err := exec.Command("pkill", "-KILL", "-f", "serve --config "+p.env.config).CombinedOutput()
	if err != nil {
		p.t.Fatalf("kill agent %s: %v %s", p.host, err, out)
	}
	for deadline := time.Now().Add(settle); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if code, _, err := tryGet("http://" + p.addr + "/healthz"); err != nil || code == 0 {
			return
		}
	}
	p.t.Fatalf("agent %s still answers after kill", p.host)
}

// fleetEnv is a hub and three agents on one real NATS server: web-01 with
// supervisord and php-fpm, web-02 and worker-01 with supervisord.
type fleetEnv struct {
	t      *testing.T
	nats   *natsbox.Server
	hub    *env // its config is the hub's; exec with it reaches every host
	hubURL string
	agents map[string]*agentProc
	fpm    *sandbox.PHPFPM // web-01's
}

func newFleetEnv(t *testing.T) *fleetEnv {
	t.Helper()
	srv := natsbox.Start(t, nil)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "hub.key")
	pub := keygen(t, keyFile)
	fe := &fleetEnv{t: t, nats: srv, agents: map[string]*agentProc{}}
	pins := map[string]string{} // the hub's fleet.agent_keys

	web01, fpm := newFPMEnv(t, sandbox.Pool{Name: "www", StatusPath: "/status"})
	fe.fpm = fpm
	web02 := newEnv(t, sandbox.Program{Name: "app", Command: loop("web-02")})
	worker := newEnv(t, sandbox.Program{Name: "queue", Command: loop("work"), NumProcs: 2})
	for host, e := range map[string]*env{"web-01": web01, "web-02": web02, "worker-01": worker} {
		agentKey := filepath.Join(dir, host+".key")
		pins[host] = keygen(t, agentKey)
		appendConfig(t, e.config, "host: e2e\n", fmt.Sprintf("host: %s\n", host), fmt.Sprintf(`mode: agent
default_host: %s
nats: {url: "%s"}
fleet: {hub_public_key: "%s", agent_key_file: %s, request_timeout: 30s}
`, host, srv.URL(), pub, agentKey))
		p := &agentProc{t: t, host: host, env: e, addr: freeAddr(t)}
		p.start()
		fe.agents[host] = p
	}

	hubDir := t.TempDir()
	hubCfg := filepath.Join(hubDir, "poolvisor.yaml")
	if err := os.WriteFile(hubCfg, []byte(fmt.Sprintf(`host: hub
mode: hub
data_dir: %s/data
listen: ""
phpfpm: {enabled: false}
supervisor: {enabled: false}
nats: {url: "%s"}
fleet: {hub_key_file: %s, request_timeout: 30s, agent_keys: {web-01: %s, web-02: %s, worker-01: %s}}
default_host: web-01
host_groups: {web: [web-01, web-02], every: [web-01, web-02, worker-01]}
local: {allow_impersonation: true}
rbac:
  bindings:
    - {role: admin, local_users: [alice, bob]}
    - {role: operator, local_users: [olga]}
    - {role: viewer, local_users: [vic]}
`, hubDir, srv.URL(), keyFile, pins["web-01"], pins["web-02"], pins["worker-01"])), 0o600); err != nil {
		t.Fatal(err)
	}
	fe.hub = &env{t: t, config: hubCfg}
	addr := freeAddr(t)
	startServeUntil(t, t, hubCfg, "http://"+addr, "POOLVISOR_LISTEN="+addr)
	fe.hubURL = "http://" + addr + "/healthz"
	return fe
}

// keygen runs poolvisor keygen --out path and returns the public key it prints.
func keygen(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(binary, "keygen", "--out", path).Output()
	if err != nil {
		t.Fatalf("keygen: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// appendConfig replaces old with repl in the config at path and appends extra.
func appendConfig(t *testing.T, path, old, repl, extra string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(raw), old, repl, 1) + extra
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostSection is one host's part of a result that spans several.
type hostSection struct {
	Host    string          `json:"host"`
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func (r result) sections(t *testing.T) map[string]hostSection {
	t.Helper()
	var d struct {
		Hosts []hostSection `json:"hosts"`
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatalf("decode host sections from %s: %v", r.Data, err)
	}
	out := map[string]hostSection{}
	for _, h := range d.Hosts {
		out[h.Host] = h
	}
	return out
}

// waitFor retries f until it holds (at most settle).
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(settle); !f(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, settle)
		}
	}
}

func auditLines(t *testing.T, dataDir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestFleetEndToEnd(t *testing.T) {
	fe := newFleetEnv(t)
	hub := fe.hub
	hubData := filepath.Join(filepath.Dir(hub.config), "data")

	t.Run("status across all hosts", func(t *testing.T) {
		var r result
		waitFor(t, "every agent answers", func() bool {
			r = hub.exec("vic", "supervisor status --host all")
			return r.Status == "ok"
		})
		s := r.sections(t)
		if len(s) != 3 {
			t.Fatalf("sections %v:\n%s", s, r.Message)
		}
		if !strings.Contains(string(s["web-02"].Data), `"app"`) || !strings.Contains(string(s["worker-01"].Data), `"queue:queue_01"`) {
			t.Errorf("host sections do not carry each host's programs:\n%s", r.Message)
		}
		// One host: that host's answer as such.
		waitFor(t, "worker-01's queue is RUNNING", func() bool {
			_, ok := hub.want("vic", "supervisor status --host worker-01", "ok", 0).programs(t)["queue:queue_00 RUNNING"]
			return ok
		})
		// The default host is web-01, which runs php-fpm; web-02 does not.
		hub.want("vic", "fpm pools", "ok", 0)
		if r := hub.want("vic", "fpm pools --host web-02", "failed", 1); !strings.Contains(r.Message, "not enabled on web-02") {
			t.Errorf("fpm on web-02: %s", r.Message)
		}
		hosts := hub.want("vic", "ops hosts", "ok", 0)
		if !strings.Contains(hosts.Message, "3 of 3 hosts answer") || !strings.Contains(hosts.Message, "php-fpm") {
			t.Errorf("ops hosts:\n%s", hosts.Message)
		}
	})

	t.Run("restart on one host through an approval on the hub", func(t *testing.T) {
		before := hub.want("vic", "supervisor status --host web-02", "ok", 0).programs(t)["app RUNNING"]
		other := hub.want("vic", "supervisor status --host worker-01", "ok", 0).programs(t)
		req := hub.want("olga", "supervisor restart app --host web-02", "pending_approval", 4)
		hub.want("olga", "ops approve "+req.ApprovalID, "denied", 3)
		hub.want("vic", "ops approve "+req.ApprovalID, "denied", 3)
		hub.want("alice", "ops approve "+req.ApprovalID, "ok", 0)
		after := hub.want("vic", "supervisor status --host web-02", "ok", 0).programs(t)["app RUNNING"]
		if after == 0 || after == before {
			t.Errorf("app's pid on web-02: %d before, %d after", before, after)
		}
		if now := hub.want("vic", "supervisor status --host worker-01", "ok", 0).programs(t); fmt.Sprint(now) != fmt.Sprint(other) {
			t.Errorf("worker-01 changed: %v -> %v", other, now)
		}
		hub.want("bob", "ops approve "+req.ApprovalID, "conflict", 5)
		// The agent recorded what it applied, with the approval.
		agentData := filepath.Join(filepath.Dir(fe.agents["web-02"].env.config), "data")
		var found bool
		for _, l := range auditLines(t, agentData) {
			if strings.Contains(l, `"operation":"supervisor.program.restart"`) && strings.Contains(l, `"approval_id":"`+req.ApprovalID+`"`) &&
				strings.Contains(l, `"approver":"local:alice"`) && strings.Contains(l, `"actor":"local:olga"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("web-02's audit lacks the approved restart:\n%s", strings.Join(auditLines(t, agentData), "\n"))
		}
	})

	t.Run("a viewer cannot write on any host", func(t *testing.T) {
		hub.want("vic", "supervisor stop queue:* --host worker-01", "denied", 3)
		if _, ok := hub.want("vic", "supervisor status --host worker-01", "ok", 0).programs(t)["queue:queue_00 RUNNING"]; !ok {
			t.Error("queue stopped by a viewer")
		}
	})

	t.Run("hostile input through the hub changes nothing on the hosts", func(t *testing.T) {
		web02 := fe.agents["web-02"].env.sv
		snapshot := func() string {
			return digest(t, []string{web02.ProgramDir, fe.fpm.PoolDir}, web02.ConfigFile, fe.fpm.MainConfig)
		}
		was := snapshot()
		pid := hub.want("vic", "supervisor status --host web-02", "ok", 0).programs(t)["app RUNNING"]
		workers := fmt.Sprint(fe.fpm.Workers("www"))
		for _, text := range []string{
			"supervisor edit app --host web-02 --set \"command=/bin/true\n[program:evil]\"",
			`supervisor edit app --host web-02 --set "environment=SECRET=%(ENV_NO_SUCH_VARIABLE)s"`,
			`supervisor edit app --host web-02 --set "command=` + strings.Repeat("x", 70000) + `"`,
			`supervisor edit app --host web-02 --set "bogus_key=1"`,
			`supervisor edit app --host web-02 --user nosuchuser`,
			`supervisor add "../etc" --host web-02 --command /bin/true`,
			"fpm pool create api --host web-01 --set \"pm.max_children=5\n[evil]\"",
			`fpm pool create api --host web-01 --set "[global]=x"`,
			`fpm pool create api --host web-01 --set "bogus.directive=1"`,
			`fpm pool create api --host web-01 --user nosuchuser`,
			`supervisor stop app --host "*"`,
			`supervisor stop app --host ">"`,
			`supervisor stop app --host web-02.`,
			`supervisor stop app --host nowhere`,
			`supervisor stop app --host all`,
		} {
			r := hub.exec("alice", text)
			if r.Status != "invalid" || r.code != 2 {
				t.Errorf("%.80q = %s (exit %d), want invalid: %s", text, r.Status, r.code, r.Message)
			}
		}
		if snapshot() != was {
			t.Fatal("a refused request changed a host's config")
		}
		if now := hub.want("vic", "supervisor status --host web-02", "ok", 0).programs(t)["app RUNNING"]; now != pid {
			t.Errorf("app restarted: pid %d -> %d", pid, now)
		}
		if now := fmt.Sprint(fe.fpm.Workers("www")); now != workers {
			t.Errorf("php-fpm was reloaded: workers %s -> %s", workers, now)
		}
	})

	t.Run("killed agent is unreachable, then answers again", func(t *testing.T) {
		a := fe.agents["web-02"]
		a.kill()
		r := hub.want("vic", "supervisor status --host all", "failed", 1)
		s := r.sections(t)
		if s["web-02"].Status != "failed" || !strings.Contains(s["web-02"].Message, "unreachable") ||
			s["web-01"].Status != "ok" || s["worker-01"].Status != "ok" {
			t.Errorf("sections: %+v", s)
		}
		hosts := hub.want("vic", "ops hosts", "ok", 0)
		if !strings.Contains(hosts.Message, "2 of 3 hosts answer") {
			t.Errorf("ops hosts:\n%s", hosts.Message)
		}
		a.start()
		waitFor(t, "web-02 answers again", func() bool { return hub.exec("vic", "supervisor status --host web-02").Status == "ok" })
	})

	t.Run("NATS restart: everyone reconnects, nothing lost from the audit", func(t *testing.T) {
		before := auditLines(t, hubData)
		fe.nats.Restart()
		healthy := func(url string) func() bool {
			return func() bool {
				code, body, err := tryGet(url)
				return err == nil && code == 200 && strings.Contains(body, `"name":"nats","ok":true`)
			}
		}
		waitFor(t, "the hub reconnects", healthy(fe.hubURL))
		for host, a := range fe.agents {
			waitFor(t, host+" reconnects", healthy("http://"+a.addr+"/healthz"))
		}
		waitFor(t, "all hosts answer", func() bool { return hub.exec("vic", "supervisor status --host all").Status == "ok" })
		after := auditLines(t, hubData)
		if len(after) <= len(before) {
			t.Fatalf("audit has %d lines, had %d", len(after), len(before))
		}
		for i, l := range before {
			if after[i] != l {
				t.Fatalf("audit line %d changed:\n%s\n%s", i, l, after[i])
			}
		}
		if !strings.Contains(strings.Join(after, "\n"), `"approver":"local:alice"`) {
			t.Error("the approval decision is not in the hub's audit")
		}
	})

	t.Run("an agent refuses requests the hub did not sign", func(t *testing.T) {
		nc, err := nats.Connect(fe.nats.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_, stranger, _ := ed25519.GenerateKey(rand.Reader)
		now := time.Now()
		body, _ := json.Marshal(fleet.Request{V: 1, ID: "intruder-1", Host: "worker-01", Kind: fleet.KindApply,
			Sent: now, Deadline: now.Add(time.Minute), Op: opStop("queue:*")})
		m := nats.NewMsg(fleet.AgentSubject("worker-01"))
		m.Data = body
		m.Header.Set("Poolvisor-Signature", fmt.Sprintf("%x", ed25519.Sign(stranger, body)))
		got, err := nc.RequestMsg(m, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep fleet.Reply
		_ = json.Unmarshal(got.Data, &rep)
		if rep.Status != "denied" || !bytes.Contains(got.Data, []byte("not signed by the hub")) {
			t.Errorf("reply: %s", got.Data)
		}
		if _, ok := hub.want("vic", "supervisor status --host worker-01", "ok", 0).programs(t)["queue:queue_00 RUNNING"]; !ok {
			t.Error("queue stopped by an unsigned request")
		}
	})
}

func opStop(target string) ops.Operation {
	return ops.Operation{Name: "supervisor.program.stop", Target: target}
}

// tryGet is get that reports a failed connection instead of failing the test.
func tryGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}
