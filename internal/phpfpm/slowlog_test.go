package phpfpm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestSlowlogFile(t *testing.T) {
	tests := []struct {
		name    string
		d       map[string]string
		want    string
		wantErr string
	}{
		{"absolute with $pool", map[string]string{"request_slowlog_timeout": "5s", "slowlog": "/var/log/php-fpm/$pool.slow.log"}, "/var/log/php-fpm/api.slow.log", ""},
		{"relative: the pool's prefix", map[string]string{"request_slowlog_timeout": "5", "slowlog": "log/$pool.slow", "prefix": "/srv/$pool"}, "/srv/api/log/api.slow", ""},
		{"relative: the install prefix", map[string]string{"request_slowlog_timeout": "1m", "slowlog": "log/slow.log"}, "/usr/log/slow.log", ""},
		{"$prefix is not expanded in slowlog", map[string]string{"request_slowlog_timeout": "1m", "slowlog": "$prefix/slow.log", "prefix": "/srv"}, "/srv/$prefix/slow.log", ""},
		{"no timeout", map[string]string{"slowlog": "/var/log/slow.log"}, "", "request_slowlog_timeout is not set; /fpm pool edit api --slowlog 5s"},
		{"timeout 0", map[string]string{"request_slowlog_timeout": "0s", "slowlog": "/var/log/slow.log"}, "", "slow log off"},
		{"no file", map[string]string{"request_slowlog_timeout": "5s"}, "", "no slowlog file"},
		{"not a time", map[string]string{"request_slowlog_timeout": "soon", "slowlog": "/x"}, "", "is not a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := slowlogFile(tt.d, "api")
			if tt.wantErr != "" {
				if st, msg := ops.UserError(err); st != ops.StatusInvalid || !strings.Contains(msg, tt.wantErr) {
					t.Fatalf("%s %q, want invalid with %q", st, msg, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("%q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestSlowlogFromRealPHPFPM: a pool created with --slowlog 1s logs a
// request that sleeps 2 s inside a named function, and /fpm slowlog shows
// it with its script, file and function; --slowlog 0 turns it off again.
func TestSlowlogFromRealPHPFPM(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"})
	b := testBackend(t, f)

	r := run(t, b, op("fpm.pool.create", "slow", "slowlog", "1s"))
	if r.status != ops.StatusOK {
		t.Fatalf("create: %s %s", r.status, r.msg)
	}
	d := r.data.(ops.PoolShow).Pool.Directives
	logFile := filepath.Join(b.cfg.LogDir, "slow.slow.log")
	if d["request_slowlog_timeout"] != "1s" || d["slowlog"] != logFile {
		t.Fatalf("created pool = %v", d)
	}
	if r := run(t, b, op("fpm.pool.slowlog", "slow")); r.status != ops.StatusOK || !strings.Contains(r.msg, "No slow requests of pool slow") ||
		r.data.(ops.FPMSlowlog).Entries == nil {
		t.Fatalf("slowlog before any request: %s %s", r.status, r.msg)
	}

	script := phpScript(t, "<?php\nfunction wait_for_report($s) {\n    sleep($s);\n}\nwait_for_report(2);\necho 'done';\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // reached only on failure
	defer cancel()
	sock := filepath.Join(f.SocketDir, "php"+f.Version+"-slow-fpm.sock")
	resp, err := fastcgi.Get(ctx, "unix", sock, script, "")
	if err != nil || string(resp.Body) != "done" {
		t.Fatalf("request: %v %+v", err, resp)
	}
	// The master traces the worker while it sleeps, so the entry is written
	// by the time the answer comes; poll a little in case the disk lags.
	var got ops.FPMSlowlog
	for deadline := time.Now().Add(10 * time.Second); ; {
		r = run(t, b, op("fpm.pool.slowlog", "slow", "since", "1h"))
		if r.status != ops.StatusOK {
			t.Fatalf("slowlog: %s %s", r.status, r.msg)
		}
		if got = r.data.(ops.FPMSlowlog); len(got.Entries) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got.Entries) != 1 {
		t.Fatalf("entries %+v\n%s\nphp-fpm log:\n%s", got.Entries, r.msg, f.Log())
	}
	g := got.Entries[0]
	if g.Script != script || g.Count != 1 || g.TopFrame != "sleep() "+script+":3" || got.File != logFile ||
		!slices.Contains(g.Stack, "wait_for_report() "+script+":5") || time.Since(g.LastSeen) > time.Hour {
		t.Errorf("group %+v of %s", g, got.File)
	}
	if !strings.Contains(r.msg, "wait_for_report() "+script+":5") {
		t.Errorf("the answer does not show the stack:\n%s", r.msg)
	}

	if r := run(t, b, op("fpm.pool.edit", "slow", "slowlog", "0")); r.status != ops.StatusOK {
		t.Fatalf("--slowlog 0: %s %s", r.status, r.msg)
	}
	if r := run(t, b, op("fpm.pool.slowlog", "slow")); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "--slowlog 5s turns it on") {
		t.Errorf("slowlog when off: %s %s", r.status, r.msg)
	}
}

// TestSlowlogRefusals: --slowlog takes a time php-fpm reads and nothing
// else, leaving the pool dir and php-fpm untouched; /fpm slowlog says
// exactly why it cannot read a slow log.
func TestSlowlogRefusals(t *testing.T) {
	t.Parallel()
	logs := t.TempDir()
	gone := filepath.Join(logs, "gone.slow.log")
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 3},
		sandbox.Pool{Name: "gone", Extra: map[string]string{"request_slowlog_timeout": "5s", "slowlog": gone}},
		sandbox.Pool{Name: "fifo", Extra: map[string]string{"request_slowlog_timeout": "5s", "slowlog": filepath.Join(logs, "fifo")}},
		sandbox.Pool{Name: "link", Extra: map[string]string{"request_slowlog_timeout": "5s", "slowlog": filepath.Join(logs, "link")}})
	b := testBackend(t, f)
	q := snapshot(t, f, "www", "api")
	for _, v := range []string{"1s\nslowlog=/etc/passwd", "1s\rslowlog = /etc/passwd", "-1", "abc", "", "1d", "5 s", "1.5s", "99999999999", "25h", "1441m", "1s;x"} {
		for _, o := range []ops.Operation{op("fpm.pool.edit", "api", "slowlog", v), op("fpm.pool.create", "new", "slowlog", v)} {
			r := run(t, b, o)
			if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "--slowlog") {
				t.Errorf("%s --slowlog %q: %s %q, want invalid", o.Name, v, r.status, r.msg)
			}
			q.check(t, f)
		}
	}
	// The log dir must be a directory; the path is never the user's.
	nodir := testBackend(t, f, func(c *Config) { c.LogDir = filepath.Join(logs, "missing") })
	if r := run(t, nodir, op("fpm.pool.edit", "api", "slowlog", "5s")); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "phpfpm.log_dir") {
		t.Errorf("missing log dir: %s %q", r.status, r.msg)
	}
	q.check(t, f)

	if err := os.Remove(gone); err != nil { // php-fpm created it when it started
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(logs, "fifo")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(logs, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Whoever may change the slow log's directory (a pool's user, where a
	// pool written before poolvisor keeps its log in its own tree) puts a
	// link there: poolvisor, as root, must not follow it to a file that
	// user could not read, nor open a device it leads to.
	secret := filepath.Join(t.TempDir(), "root-only")
	entry := "\n[04-Dec-2026 22:39:50]  [pool link] pid 20134\nscript_filename = /ROOT-ONLY-SECRET\n[0x00007fe360414120] f() /x.php:2\n"
	if err := os.WriteFile(secret, []byte(entry), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(logs, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(logs, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		op     ops.Operation
		status ops.Status
		want   string
	}{
		{"no slow log", op("fpm.pool.slowlog", "api"), ops.StatusInvalid, "/fpm pool edit api --slowlog 5s turns it on"},
		{"file gone", op("fpm.pool.slowlog", "gone"), ops.StatusFailed, gone + ", does not exist"},
		{"a fifo", op("fpm.pool.slowlog", "fifo"), ops.StatusFailed, "is not a regular file"},
		{"a link", op("fpm.pool.slowlog", "link"), ops.StatusFailed, "is a symbolic link"},
		{"unknown pool", op("fpm.pool.slowlog", "nope"), ops.StatusInvalid, "no pool named nope"},
		{"limit 0", op("fpm.pool.slowlog", "gone", "limit", "0"), ops.StatusInvalid, "--limit takes a number from 1"},
		{"since negative", op("fpm.pool.slowlog", "gone", "since", "-1h"), ops.StatusInvalid, "--since takes a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, b, tt.op)
			if r.status != tt.status || !strings.Contains(r.msg, tt.want) {
				t.Errorf("got %s %q, want %s with %q", r.status, r.msg, tt.status, tt.want)
			}
			if strings.Contains(r.msg, "ROOT-ONLY-SECRET") {
				t.Errorf("read back through a link: %q", r.msg)
			}
		})
	}
}

// phpScript writes a PHP script the pools' workers (nobody, when the tests
// run as root) can read, and returns its path.
func phpScript(t *testing.T, code string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "poolvisor-php")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.php")
	if err := os.WriteFile(path, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
