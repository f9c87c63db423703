package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestPoolRender(t *testing.T) {
	f := &PHPFPM{SocketDir: "/run/x", User: "nobody", Group: "nogroup"}
	tests := []struct {
		name    string
		pool    Pool
		want    string
		wantErr string
	}{
		{
			name: "static default",
			pool: Pool{Name: "web"},
			want: "; Written by poolvisor's sandbox package.\n[web]\ngroup = nogroup\nlisten = /run/x/web.sock\n" +
				"listen.mode = 0660\npm = static\npm.max_children = 2\nuser = nobody\n",
		},
		{
			name: "dynamic with status and ping",
			pool: Pool{Name: "api", PM: "dynamic", MaxChildren: 4, StatusPath: "/status", PingPath: "/ping"},
			want: "; Written by poolvisor's sandbox package.\n[api]\ngroup = nogroup\nlisten = /run/x/api.sock\n" +
				"listen.mode = 0660\nping.path = /ping\npm = dynamic\npm.max_children = 4\npm.max_spare_servers = 4\n" +
				"pm.min_spare_servers = 1\npm.start_servers = 1\npm.status_path = /status\nuser = nobody\n",
		},
		{
			name: "ondemand, extra overrides",
			pool: Pool{Name: "q", PM: "ondemand", Extra: map[string]string{"pm.process_idle_timeout": "3s", "user": "www-data"}},
			want: "; Written by poolvisor's sandbox package.\n[q]\ngroup = nogroup\nlisten = /run/x/q.sock\n" +
				"listen.mode = 0660\npm = ondemand\npm.max_children = 2\npm.process_idle_timeout = 3s\nuser = www-data\n",
		},
		{name: "global is not a pool", pool: Pool{Name: "global"}, wantErr: "pool name"},
		{name: "bad name", pool: Pool{Name: "a b"}, wantErr: "pool name"},
		{name: "bad pm", pool: Pool{Name: "a", PM: "lazy"}, wantErr: "pm"},
		{name: "value with semicolon", pool: Pool{Name: "a", Extra: map[string]string{"k": "a;b"}}, wantErr: "extra"},
		{name: "value with newline", pool: Pool{Name: "a", Extra: map[string]string{"k": "a\n[b]"}}, wantErr: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.pool.render(f)
			checkRendered(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestNewerVersion(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"8.2", "7.4", true}, {"8.10", "8.2", true}, {"8.2", "8.2", false}, {"7.4", "8.1", false}, {"8.2.1", "8.2", true},
	}
	for _, tt := range tests {
		if got := newerVersion(tt.a, tt.b); got != tt.want {
			t.Errorf("newerVersion(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// fpmFamily returns the master and its workers as they run now.
func fpmFamily(t *testing.T, f *PHPFPM) []proc {
	t.Helper()
	pid := f.MasterPID()
	if pid == 0 {
		t.Fatal("no master running")
	}
	_, _, _, start, _ := procStat(pid)
	return append([]proc{{pid: pid, start: start}}, descendants(pid)...)
}

func TestPHPFPMStartReloadStop(t *testing.T) {
	t.Parallel()
	for _, daemonize := range []bool{false, true} {
		name := map[bool]string{false: "foreground", true: "daemonized"}[daemonize]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := FPM
			if daemonize {
				start = FPMDaemonized
			}
			f := start(t, Pool{Name: "web"}, Pool{Name: "api", PM: "dynamic", MaxChildren: 3})
			for _, pool := range []string{"web", "api"} {
				if err := f.Dial(pool); err != nil {
					t.Errorf("dial %s: %v", pool, err)
				}
			}
			web := f.Workers("web")
			if len(web) != 2 || len(f.Workers("api")) != 1 {
				t.Fatalf("workers: web %v, api %v; want 2 and 1", web, f.Workers("api"))
			}
			if os.Geteuid() == 0 {
				var st syscall.Stat_t
				if err := syscall.Stat(fmt.Sprintf("/proc/%d", web[0]), &st); err != nil || st.Uid == 0 {
					t.Errorf("workers run as root (uid %d, err %v)", st.Uid, err)
				}
			}
			master := f.MasterPID()
			if err := f.Reload(); err != nil {
				t.Fatalf("Reload: %v", err)
			}
			after := f.Workers("web")
			if len(after) != 2 || slices.Equal(after, web) {
				t.Errorf("workers after reload = %v, before %v: want new ones", after, web)
			}
			if again := f.MasterPID(); (again != master) != daemonize {
				t.Errorf("master pid %d -> %d after reload (daemonized %v)", master, again, daemonize)
			}
			if n := strings.Count(f.Log(), "Reloading in progress"); n != 1 {
				t.Errorf("log shows %d reloads, want 1", n)
			}
			procs := fpmFamily(t, f)
			if err := f.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			for _, p := range procs {
				if alive(p) {
					t.Errorf("pid %d (%s) still running after Stop", p.pid, processTitle(p.pid))
				}
			}
			if err := f.Stop(); err != nil {
				t.Errorf("second Stop: %v", err)
			}
		})
	}
}

func TestPHPFPMKillAndStartAgain(t *testing.T) {
	t.Parallel()
	f := FPM(t, Pool{Name: "web", PM: "ondemand"})
	procs := fpmFamily(t, f)
	if err := f.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	for _, p := range procs {
		if alive(p) {
			t.Errorf("pid %d still running after Kill", p.pid)
		}
	}
	if f.MasterPID() != 0 {
		t.Error("MasterPID names a killed master")
	}
	if _, err := os.Stat(f.PIDFile); err != nil {
		t.Errorf("Kill should leave the stale pid file like a crash does: %v", err)
	}
	again, err := StartPHPFPM(f.Dir)
	if err != nil {
		t.Fatalf("start again in the same dir: %v", err)
	}
	t.Cleanup(func() { _ = again.Stop() })
	if err := again.Dial("web"); err != nil {
		t.Errorf("dial after restart: %v", err)
	}
	if _, err := StartPHPFPM(f.Dir); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second start in a busy dir: got %v, want 'already running'", err)
	}
}

func TestPHPFPMLongDirAndBadConfig(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), strings.Repeat("long-directory-name-", 5))
	f, err := StartPHPFPM(dir, Pool{Name: "web"})
	if err != nil {
		t.Fatalf("StartPHPFPM: %v", err)
	}
	if f.shortDir == "" || len(f.SocketPath("web")) > maxSocketPath {
		t.Errorf("socket %q not moved to a short dir", f.SocketPath("web"))
	}
	if err := f.Dial("web"); err != nil {
		t.Errorf("dial: %v", err)
	}
	if err := f.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.shortDir); !os.IsNotExist(err) {
		t.Errorf("short socket dir %s left behind (%v)", f.shortDir, err)
	}

	_, err = StartPHPFPM(t.TempDir(), Pool{Name: "bad", Extra: map[string]string{"pm.max_children": "0"}})
	if err == nil || !strings.Contains(err.Error(), "max_children") {
		t.Errorf("start with a bad pool: got %v, want php-fpm's complaint about max_children", err)
	}
}
