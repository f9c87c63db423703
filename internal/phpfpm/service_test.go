package phpfpm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestServiceReloadRestart(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name      string
		daemonize bool
		cfg       func(f *sandbox.PHPFPM) func(*Config)
	}{
		{"signal foreground", false, func(*sandbox.PHPFPM) func(*Config) { return func(*Config) {} }},
		{"signal daemonized", true, func(*sandbox.PHPFPM) func(*Config) { return func(*Config) {} }},
		{"command", true, func(f *sandbox.PHPFPM) func(*Config) {
			return func(c *Config) {
				c.Service = ServiceConfig{
					Mode:           "command",
					ReloadCommand:  fmt.Sprintf("kill -USR2 $(cat %s)", f.PIDFile),
					RestartCommand: fmt.Sprintf("kill -QUIT $(cat %[1]s); while kill -0 $(cat %[1]s) 2>/dev/null; do sleep 0.05; done; %[2]s --fpm-config %[3]s", f.PIDFile, f.Binary, f.MainConfig),
					StatusCommand:  fmt.Sprintf("kill -0 $(cat %s)", f.PIDFile),
				}
			}
		}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			start := sandbox.FPM
			if m.daemonize {
				start = sandbox.FPMDaemonized
			}
			f := start(t, sandbox.Pool{Name: "www", StatusPath: "/status"})
			b := testBackend(t, f, m.cfg(f))
			workers, reloads := f.Workers("www"), strings.Count(f.Log(), "Reloading in progress")

			r := run(t, b, op("fpm.service.reload", ""))
			if r.status != ops.StatusOK || !strings.Contains(r.msg, "Reloaded php-fpm on web-test: running") {
				t.Fatalf("reload: %s %s", r.status, r.msg)
			}
			if n := strings.Count(f.Log(), "Reloading in progress"); n != reloads+1 {
				t.Errorf("log shows %d reloads, want %d", n, reloads+1)
			}
			if now := f.Workers("www"); len(now) == 0 || slices.Equal(now, workers) {
				t.Errorf("workers after reload %v, before %v", now, workers)
			}

			master := f.MasterPID()
			r = run(t, b, op("fpm.service.restart", ""))
			if r.status != ops.StatusOK || !strings.Contains(r.msg, "Restarted php-fpm") {
				t.Fatalf("restart: %s %s", r.status, r.msg)
			}
			if now := f.MasterPID(); now == 0 || now == master {
				t.Errorf("master pid %d -> %d after restart", master, now)
			}
			if err := f.Dial("www"); err != nil {
				t.Errorf("www after restart: %v", err)
			}
			st := r.data.(ops.FPMStatus)
			if st.PID != f.MasterPID() || len(st.Pools) != 1 || st.Pools[0].Figures == nil {
				t.Errorf("restart answered %+v", st)
			}
		})
	}
}

func TestServiceActionsRefused(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"})
	noRestart := testBackend(t, f, func(c *Config) {
		c.Service = ServiceConfig{Mode: "command", ReloadCommand: "true"}
	})
	if r := run(t, noRestart, op("fpm.service.restart", "")); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "restart_command is not set") {
		t.Errorf("restart without a command: %s %s", r.status, r.msg)
	}

	b := testBackend(t, f)
	// A broken file written by hand: the configuration on disk fails
	// php-fpm's test, so neither reload nor restart may go ahead.
	if err := os.WriteFile(filepath.Join(f.PoolDir, "broken.conf"), []byte("[broken]\npm = lazy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := snapshot(t, f, "www")
	for _, action := range []string{"reload", "restart"} {
		r := run(t, b, op("fpm.service."+action, ""))
		if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "refused the configuration on disk") {
			t.Errorf("%s: %s %s", action, r.status, r.msg)
		}
	}
	q.check(t, f)

	if err := os.Remove(filepath.Join(f.PoolDir, "broken.conf")); err != nil {
		t.Fatal(err)
	}
	if err := f.Stop(); err != nil {
		t.Fatal(err)
	}
	if r := run(t, b, op("fpm.service.reload", "")); r.status != ops.StatusFailed || !strings.Contains(r.msg, "not running") {
		t.Errorf("reload of a stopped php-fpm: %s %s", r.status, r.msg)
	}
	r := run(t, b, op("fpm.service.status", ""))
	if st, ok := r.data.(ops.FPMStatus); r.status != ops.StatusFailed || !ok || st.State != "stopped" {
		t.Errorf("status of a stopped php-fpm: %s %v %s", r.status, r.data, r.msg)
	}
	if h := b.Health(context.Background()); h.OK {
		t.Errorf("health of a stopped php-fpm: %+v", h)
	}
	if r := run(t, b, op("fpm.service.restart", "")); r.status != ops.StatusOK || f.MasterPID() == 0 {
		t.Errorf("restart of a stopped php-fpm: %s %s", r.status, r.msg)
	}
}

func TestStatusFigures(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www", PM: "dynamic", MaxChildren: 3, StatusPath: "/fpm-status"}, sandbox.Pool{Name: "plain"})
	b := testBackend(t, f)
	r := run(t, b, op("fpm.service.status", ""))
	if r.status != ops.StatusOK {
		t.Fatalf("status: %s %s", r.status, r.msg)
	}
	st := r.data.(ops.FPMStatus)
	if st.State != "running" || st.PID != f.MasterPID() || !strings.HasPrefix(st.Version, f.Version+".") || st.Mode != "signal" {
		t.Errorf("status = %+v", st)
	}
	byName := map[string]ops.PoolStatus{}
	for _, p := range st.Pools {
		byName[p.Name] = p
	}
	fig := byName["www"].Figures
	if fig == nil || fig.Pool != "www" || fig.ProcessManager != "dynamic" || fig.TotalProcesses < 1 || fig.ActiveProcesses < 1 {
		t.Errorf("www figures = %+v (%s)", fig, byName["www"].Note)
	}
	if p := byName["plain"]; p.Figures != nil || !strings.Contains(p.Note, "/fpm pool edit plain --status-path /status") {
		t.Errorf("plain = %+v", p)
	}
	if !strings.Contains(r.msg, "MAX REACHED") || !strings.Contains(r.msg, "plain: no status page") {
		t.Errorf("message:\n%s", r.msg)
	}
	if h := b.Health(context.Background()); !h.OK || !strings.Contains(h.Info, "running") {
		t.Errorf("health = %+v", h)
	}
}
