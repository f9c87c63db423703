package phpfpm

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestCreateEditDelete(t *testing.T) {
	t.Parallel()
	// A ping path makes every verification ping www over FastCGI.
	f := sandbox.FPM(t, sandbox.Pool{Name: "www", PingPath: "/ping"})
	b := testBackend(t, f)

	r := run(t, b, op("fpm.pool.create", "api", "max-children", "6", "status-path", "/status"))
	if r.status != ops.StatusOK {
		t.Fatalf("create: %s %s", r.status, r.msg)
	}
	sock := filepath.Join(f.SocketDir, "php"+f.Version+"-api-fpm.sock")
	if c, err := net.DialTimeout("unix", sock, time.Second); err != nil {
		t.Fatalf("new pool's socket: %v", err)
	} else {
		c.Close()
	}
	if len(f.Workers("api")) != 2 {
		t.Errorf("api workers = %v, want 2 (start_servers)", f.Workers("api"))
	}
	fpmTT(t, f.Binary, f.MainConfig) // php-fpm's own test passes on the live files
	show := r.data.(ops.PoolShow).Pool
	if show.Directives["pm.max_children"] != "6" || show.Directives["listen"] != sock || show.Directives["pm"] != "dynamic" {
		t.Errorf("created pool = %v", show.Directives)
	}

	r = run(t, b, op("fpm.pool.list", ""))
	list := r.data.(ops.PoolList).Pools
	if r.status != ops.StatusOK || len(list) != 2 || list[0].Name != "api" || list[0].Listen != sock || list[0].PM != "dynamic" {
		t.Fatalf("list: %s %v\n%s", r.status, list, r.msg)
	}

	before, _ := os.ReadFile(show.File)
	r = run(t, b, op("fpm.pool.edit", "api", "max-children", "8", "max-spare", "4"))
	if r.status != ops.StatusOK {
		t.Fatalf("edit: %s %s", r.status, r.msg)
	}
	after, _ := os.ReadFile(show.File)
	want := strings.Replace(strings.Replace(string(before), "pm.max_children = 6", "pm.max_children = 8", 1),
		"pm.max_spare_servers = 3", "pm.max_spare_servers = 4", 1)
	if string(after) != want {
		t.Errorf("edit wrote:\n%s\nwant:\n%s", after, want)
	}

	r = run(t, b, op("fpm.pool.delete", "api"))
	if r.status != ops.StatusOK {
		t.Fatalf("delete: %s %s", r.status, r.msg)
	}
	if _, err := os.Stat(show.File); !os.IsNotExist(err) {
		t.Errorf("pool file still there: %v", err)
	}
	if len(f.Workers("api")) != 0 || len(f.Workers("www")) == 0 {
		t.Errorf("after delete: api workers %v, www workers %v", f.Workers("api"), f.Workers("www"))
	}
	if _, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		t.Errorf("deleted pool's socket still accepts connections")
	}
	if got := r.data.(ops.PoolList).Pools; len(got) != 1 || got[0].Name != "www" {
		t.Errorf("delete answered pools %v", got)
	}
}

// TestEditKeepsHandWritten: an edit changes only the directives it sets;
// comments, spacing and directives written by hand stay byte for byte.
func TestEditKeepsHandWritten(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"})
	b := testBackend(t, f)
	identity := ""
	if f.User != "" {
		identity = "user = " + f.User + "\ngroup = " + f.Group + "\n"
	}
	hand := "; Shop front, tuned by hand (ticket OPS-118).\n[shop]\n" + identity +
		"listen = " + filepath.Join(f.SocketDir, "shop.sock") + "\n\n; keep low: MySQL shares the box\npm = dynamic\n" +
		"pm.max_children=5 ; was 10\n  pm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n" +
		"php_admin_value[memory_limit] = 256M\n"
	file := filepath.Join(f.PoolDir, "shop.conf")
	if err := os.WriteFile(file, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	errLog := filepath.Join(b.cfg.LogDir, "shop;err.log")
	r := run(t, b, op("fpm.pool.edit", "shop", "max-children", "7", "set", "php_admin_value[error_log]="+errLog))
	if r.status != ops.StatusOK {
		t.Fatalf("edit: %s %s", r.status, r.msg)
	}
	got, _ := os.ReadFile(file)
	want := strings.Replace(hand, "pm.max_children=5 ; was 10", "pm.max_children = 7 ; was 10", 1) +
		"php_admin_value[error_log] = \"" + errLog + "\"\n"
	if string(got) != want {
		t.Errorf("file after edit:\n%s\nwant:\n%s", got, want)
	}
	// php-fpm itself reads the value whole, ';' included.
	if tt := fpmTT(t, f.Binary, f.MainConfig); !strings.Contains(tt, "php_admin_value[error_log] = "+errLog+"\n") {
		t.Errorf("php-fpm -tt does not show the whole value:\n%s", tt)
	}
	if err := f.Dial("shop"); err != nil {
		t.Errorf("shop after edit: %v", err)
	}
	show := run(t, b, op("fpm.pool.show", "shop"))
	if d := show.data.(ops.PoolShow).Pool; d.File != file || d.Directives["pm.max_children"] != "7" || d.Directives["php_admin_value[memory_limit]"] != "256M" {
		t.Errorf("show = %+v", d)
	}
	again := run(t, b, op("fpm.pool.edit", "shop", "max-children", "7"))
	if again.status != ops.StatusOK || !strings.Contains(again.msg, "nothing to do") {
		t.Errorf("repeated edit: %s %s", again.status, again.msg)
	}
}

// TestPresets: each preset creates the pool the operators' guide describes.
func TestPresets(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"})
	b := testBackend(t, f)
	tests := []struct {
		preset string
		flags  []string
		want   map[string]string
		absent []string
	}{
		{"small", nil, map[string]string{"pm": "ondemand", "pm.max_children": "5", "pm.max_requests": "500", "pm.process_idle_timeout": "10s"},
			[]string{"pm.start_servers"}},
		{"medium", nil, map[string]string{"pm": "dynamic", "pm.max_children": "20", "pm.start_servers": "5", "pm.min_spare_servers": "2",
			"pm.max_spare_servers": "8", "pm.max_requests": "1000"}, nil},
		// A flag overrides the preset (and spares the test 50 workers).
		{"large", []string{"max-children", "3"}, map[string]string{"pm": "static", "pm.max_children": "3", "pm.max_requests": "10000"},
			[]string{"pm.start_servers", "pm.min_spare_servers"}},
	}
	for _, tt := range tests {
		r := run(t, b, op("fpm.pool.create", tt.preset, append([]string{"preset", tt.preset}, tt.flags...)...))
		if r.status != ops.StatusOK {
			t.Fatalf("%s: %s %s", tt.preset, r.status, r.msg)
		}
		d := r.data.(ops.PoolShow).Pool.Directives
		for k, v := range tt.want {
			if d[k] != v {
				t.Errorf("%s: %s = %q, want %q", tt.preset, k, d[k], v)
			}
		}
		for _, k := range tt.absent {
			if _, ok := d[k]; ok {
				t.Errorf("%s: %s is set", tt.preset, k)
			}
		}
		if d["listen.mode"] != "0660" || d["listen.owner"] != d["user"] || d["user"] == "" {
			t.Errorf("%s: defaults missing: %v", tt.preset, d)
		}
		if err := f.Dial(tt.preset); err == nil {
			t.Errorf("%s: the sandbox's own socket name should not be used", tt.preset)
		}
	}
	if got := len(f.Workers("large")); got != 3 {
		t.Errorf("large runs %d workers, want 3", got)
	}
}

// TestWholeFile: a pool file given whole (Arg content, as a raw edit from a
// chat form or a rollback sends it) is checked as a whole and written byte
// for byte.
func TestWholeFile(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api"})
	b := testBackend(t, f)
	identity := ""
	if f.User != "" {
		identity = "user = " + f.User + "\r\ngroup = " + f.Group + "\r\n"
	}
	file := "; restored from history\r\n[api]\r\n" + identity + "listen = " + f.SocketPath("api") +
		"\r\npm = ondemand\r\npm.max_children = 2\r\nphp_value[x] = \"a;b\"" // CRLF, no final newline
	r := run(t, b, op("fpm.pool.edit", "api", "content", file))
	if r.status != ops.StatusOK {
		t.Fatalf("edit: %s %s", r.status, r.msg)
	}
	if got, _ := os.ReadFile(filepath.Join(f.PoolDir, "api.conf")); string(got) != file {
		t.Errorf("written:\n%q\nwant:\n%q", got, file)
	}
	if err := f.Dial("api"); err != nil {
		t.Errorf("api: %v", err)
	}
	if b.PoolPath("api") != filepath.Join(f.PoolDir, "api.conf") || b.PoolPath("nope") != filepath.Join(f.PoolDir, "nope.conf") {
		t.Errorf("PoolPath: %s, %s", b.PoolPath("api"), b.PoolPath("nope"))
	}

	q := snapshot(t, f, "www")
	for _, tt := range []struct {
		name string
		op   ops.Operation
		want string
	}{
		{"another section", op("fpm.pool.edit", "api", "content", "[api]\npm = static\n[global]\npid = /tmp/x\n"), "must hold exactly the section [api]"},
		{"broken pm", op("fpm.pool.edit", "api", "content", "[api]\nlisten = "+f.SocketPath("api")+"\npm = lazy\npm.max_children = 1\n"), "not a process manager"},
		{"unknown directive", op("fpm.pool.create", "new", "content", "[new]\nlisten = /tmp/new.sock\npm = static\npm.max_children = 1\npm.maxchildren = 2\n"), "did you mean"},
		{"flags and file", op("fpm.pool.edit", "api", "content", "[api]\n", "max-children", "3"), "not both"},
		{"nul", op("fpm.pool.edit", "api", "content", "[api]\n\x00"), "NUL"},
	} {
		if r := run(t, b, tt.op); r.status != ops.StatusInvalid || !strings.Contains(r.msg, tt.want) {
			t.Errorf("%s: %s %q, want invalid mentioning %q", tt.name, r.status, r.msg, tt.want)
		}
	}
	q.check(t, f)
}
