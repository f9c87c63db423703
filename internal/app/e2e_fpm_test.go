package app_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// newFPMEnv is newEnv with a real php-fpm master (signal mode) beside supervisord.
func newFPMEnv(t *testing.T, pools ...sandbox.Pool) (*env, *sandbox.PHPFPM) {
	t.Helper()
	f := sandbox.FPMDaemonized(t, pools...)
	e := newEnvWith(t, envOptions{phpfpm: "phpfpm:\n  enabled: true\n" + fpmInstance(f, "  ")})
	return e, f
}

func TestPoolsEndToEnd(t *testing.T) {
	e, f := newFPMEnv(t, sandbox.Pool{Name: "www", StatusPath: "/status"})
	snapshot := func() string { return digest(t, []string{f.PoolDir}) }

	t.Run("list and show", func(t *testing.T) {
		r := e.want("vic", "fpm pools", "ok", 0)
		var data struct {
			Pools []struct{ Name, PM, Listen, File string } `json:"pools"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Pools) != 1 || data.Pools[0].Name != "www" {
			t.Fatalf("pools: %s (%v)", r.Data, err)
		}
		e.want("vic", "fpm pool show www", "ok", 0)
		e.want("vic", "fpm pool show nope", "invalid", 2)
	})

	t.Run("create answers with a live socket and the diff", func(t *testing.T) {
		r := e.want("alice", "fpm pool create api --preset small --status-path /status", "ok", 0)
		if !strings.Contains(r.Message, "+++ b"+filepath.Join(f.PoolDir, "api.conf")) {
			t.Errorf("create answer without the diff:\n%s", r.Message)
		}
		if err := dialUnix(apiSocket(f)); err != nil {
			t.Errorf("new pool's socket: %v", err)
		}
		r = e.want("vic", "fpm status", "ok", 0)
		if !strings.Contains(r.Message, "api") {
			t.Errorf("status:\n%s", r.Message)
		}
	})

	t.Run("bad pools change nothing", func(t *testing.T) {
		was := snapshot()
		workers := fmt.Sprint(f.Workers("www"))
		for _, text := range []string{
			"fpm pool edit api --pm dynamic --max-children 5 --start-servers 9 --min-spare 1 --max-spare 3",
			"fpm pool edit api --pm dynamic --max-children 2 --min-spare 3 --max-spare 4 --start-servers 3",
			"fpm pool edit api --user nosuchuser",
			"fpm pool edit api --status-path status",
			"fpm pool edit api --set \"user=nobody\nuser=root\"",
			"fpm pool edit api --set \"[global]=x\"",
			"fpm pool edit api --set \"bogus.directive=1\"",
			"fpm pool create web2 --listen " + apiSocket(f),
			"fpm pool create web3 --listen " + f.SocketPath("www"),
			"fpm pool delete www",
			"fpm pool edit www --max-children 9",
		} {
			if r := e.exec("alice", text); r.Status != "invalid" {
				t.Errorf("%.70q = %s: %s", text, r.Status, r.Message)
			}
		}
		if snapshot() != was || fmt.Sprint(f.Workers("www")) != workers {
			t.Fatal("a refused pool request changed the pool directory or reloaded php-fpm")
		}
	})

	t.Run("delete with approval removes and reloads", func(t *testing.T) {
		id := e.want("alice", "fpm pool delete api", "pending_approval", 4).ApprovalID
		e.want("bob", "ops approve "+id, "ok", 0)
		if _, err := os.Stat(filepath.Join(f.PoolDir, "api.conf")); !os.IsNotExist(err) {
			t.Errorf("pool file still there: %v", err)
		}
		e.want("alice", "fpm pool rollback api", "ok", 0)
		if err := dialUnix(apiSocket(f)); err != nil {
			t.Errorf("rolled-back pool's socket: %v", err)
		}
	})
}

// apiSocket is where poolvisor puts a new pool api by default.
func apiSocket(f *sandbox.PHPFPM) string {
	return filepath.Join(f.SocketDir, "php"+f.Version+"-api-fpm.sock")
}

func dialUnix(path string) error {
	c, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	return c.Close()
}

// diffResult is `poolvisor exec --json` output with the diffs it carries.
type diffResult struct {
	Status     string `json:"status"`
	Message    string `json:"message"`
	ApprovalID string `json:"approval_id"`
	Diffs      []struct {
		Path    string `json:"path"`
		Text    string `json:"diff"`
		Added   int    `json:"added"`
		Removed int    `json:"removed"`
	} `json:"diffs"`
}

// execDiffs runs text as who, like exec, and decodes the diffs too.
func (e *env) execDiffs(who, text string) diffResult {
	e.t.Helper()
	out, _ := exec.Command(binary, "exec", "--config", e.config, "--as", who, "--json", "--", text).Output()
	var r diffResult
	if err := json.Unmarshal(out, &r); err != nil {
		e.t.Fatalf("exec %q: not one JSON object (%v): %s", text, err, out)
	}
	return r
}

// TestPoolPlanRefusedByPHPFPM: --plan on a change that only php-fpm's own
// test (php-fpm -t on a staged copy) refuses reports php-fpm's words, and
// touches nothing: the pool dir is byte-identical, the master keeps its pid.
func TestPoolPlanRefusedByPHPFPM(t *testing.T) {
	e, f := newFPMEnv(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 4})
	was, master, workers := digest(t, []string{f.PoolDir}), f.MasterPID(), fmt.Sprint(f.Workers("api"))

	r := e.want("alice", "fpm pool edit api --set rlimit_core=lots --plan", "invalid", 2)
	if !strings.Contains(r.Message, "php-fpm's own test") || !strings.Contains(r.Message, "rlimit_core") {
		t.Errorf("the plan does not report php-fpm's own error:\n%s", r.Message)
	}
	if strings.Contains(r.Message, "poolvisor-fpm-check-") {
		t.Errorf("the answer names the staging directory instead of the pool dir:\n%s", r.Message)
	}
	if digest(t, []string{f.PoolDir}) != was {
		t.Error("a refused plan changed the pool directory")
	}
	if now := f.MasterPID(); now != master || fmt.Sprint(f.Workers("api")) != workers {
		t.Errorf("a refused plan reloaded php-fpm: master %d then %d, workers %s then %v", master, now, workers, f.Workers("api"))
	}
}

// TestPoolDiffsInPlansAndApprovals: a plan and an approval request carry
// the exact diff of the pool file (secrets masked), and neither changes it.
func TestPoolDiffsInPlansAndApprovals(t *testing.T) {
	e, f := newFPMEnv(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 4})
	file := filepath.Join(f.PoolDir, "api.conf")
	was, master := digest(t, []string{f.PoolDir}), f.MasterPID()

	t.Run("plan", func(t *testing.T) {
		r := e.execDiffs("alice", "fpm pool edit api --max-children 6 --set env[DB_PASSWORD]=hunter2 --plan")
		if r.Status != "ok" || len(r.Diffs) != 1 {
			t.Fatalf("plan: %s, %d diffs\n%s", r.Status, len(r.Diffs), r.Message)
		}
		d := r.Diffs[0]
		if d.Path != file || d.Added < 2 || !strings.Contains(d.Text, "+++ b"+file) || !strings.Contains(d.Text, "6") {
			t.Errorf("plan diff of %s (+%d -%d):\n%s", d.Path, d.Added, d.Removed, d.Text)
		}
		if strings.Contains(d.Text+r.Message, "hunter2") || !strings.Contains(d.Text, "••••") {
			t.Errorf("the secret is not masked:\n%s", d.Text)
		}
	})

	t.Run("approval request", func(t *testing.T) {
		r := e.execDiffs("alice", "fpm pool delete api")
		if r.Status != "pending_approval" || r.ApprovalID == "" || len(r.Diffs) != 1 {
			t.Fatalf("delete: %s, %d diffs\n%s", r.Status, len(r.Diffs), r.Message)
		}
		d := r.Diffs[0]
		if d.Path != file || d.Removed == 0 || d.Added != 0 || !strings.Contains(d.Text, "+++ /dev/null") {
			t.Errorf("approval diff of %s (+%d -%d):\n%s", d.Path, d.Added, d.Removed, d.Text)
		}
		if !strings.Contains(r.Message, d.Text[:strings.Index(d.Text, "\n")]) {
			t.Errorf("the request's text lacks the diff:\n%s", r.Message)
		}
		e.want("alice", "ops deny "+r.ApprovalID, "ok", 0)
	})

	if digest(t, []string{f.PoolDir}) != was || f.MasterPID() != master {
		t.Error("a plan or a pending request changed the pool directory or reloaded php-fpm")
	}
}
