package app_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// newFPMEnv is newEnv with a real php-fpm master (signal mode) beside supervisord.
func newFPMEnv(t *testing.T, pools ...sandbox.Pool) (*env, *sandbox.PHPFPM) {
	t.Helper()
	e := newEnv(t)
	f := sandbox.FPMDaemonized(t, pools...)
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	fpm := fmt.Sprintf(`phpfpm:
  enabled: true
  version: "%s"
  binary: %s
  main_config: %s
  pool_dir: %s
  socket_dir: %s
  protected_pools: [www]
  defaults: {user: %s, group: %s}
  service: {mode: signal, pid_file: %s}
`, f.Version, f.Binary, f.MainConfig, f.PoolDir, f.SocketDir, f.User, f.Group, f.PIDFile)
	cfg = []byte(strings.Replace(string(cfg), "phpfpm: {enabled: false}\n", fpm, 1))
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
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
