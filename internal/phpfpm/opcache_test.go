package phpfpm

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// helperParent returns a directory that the sandbox's workers (nobody,
// under root) may traverse and only this process may change: the helper
// directory goes in it.
func helperParent(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "poolvisor-helper-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// servePHP writes scripts into a directory the workers can read and asks
// pool to run each through its socket, so OPcache caches them.
func servePHP(t *testing.T, f *sandbox.PHPFPM, pool string, names ...string) {
	t.Helper()
	root := helperParent(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range names {
		path := filepath.Join(root, n)
		if err := os.WriteFile(path, []byte("<?php echo '"+n+"';\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// OPcache leaves alone a file changed in the last
		// opcache.file_update_protection seconds (2 by default).
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		r, err := fastcgi.Get(ctx, "unix", f.SocketPath(pool), path, "")
		if err != nil || r.Status != 200 || string(r.Body) != n {
			t.Fatalf("run %s in pool %s: %v %+v", n, pool, err, r)
		}
	}
}

func opcacheData(t *testing.T, r result) ops.FPMOpcache {
	t.Helper()
	if r.status != ops.StatusOK {
		t.Fatalf("status %s: %s", r.status, r.msg)
	}
	d, ok := r.data.(ops.FPMOpcache)
	if !ok {
		t.Fatalf("data is %T", r.data)
	}
	return d
}

func TestOpcacheStatusAndReset(t *testing.T) {
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"})
	dir := filepath.Join(helperParent(t), "helper")
	b := testBackend(t, f, func(c *Config) { c.HelperDir = dir })
	servePHP(t, f, "www", "a.php", "b.php")

	before := opcacheData(t, run(t, b, op("fpm.opcache.status", "www")))
	o := before.Opcache
	if !o.Enabled || o.CachedScripts < 2 || o.UsedMB <= 0 || o.FreeMB <= 0 || before.Pool != "www" {
		t.Fatalf("status after two scripts: %+v", before)
	}
	script := filepath.Join(dir, helperName)
	checkHelperFile(t, script)

	// A helper someone changed is written again before it runs.
	if err := os.WriteFile(script, []byte("<?php phpinfo();"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(script, 0o666); err != nil {
		t.Fatal(err)
	}
	opcacheData(t, run(t, b, op("fpm.opcache.status", "")))
	checkHelperFile(t, script)

	r := run(t, b, op("fpm.opcache.reset", "www"))
	after := opcacheData(t, r)
	if after.Reset == nil || !*after.Reset {
		t.Fatalf("reset did not say it reset: %+v", after)
	}
	a := after.Opcache
	// opcache_reset empties the cache at the next request that finds no
	// script running: the status request, which is cached again itself.
	if a.Restarts.Manual != o.Restarts.Manual+1 && !a.RestartPending {
		t.Errorf("manual restarts %d -> %d, not pending: %+v", o.Restarts.Manual, a.Restarts.Manual, a)
	}
	if a.CachedScripts >= o.CachedScripts && !a.RestartPending {
		t.Errorf("cached scripts %d -> %d after a reset", o.CachedScripts, a.CachedScripts)
	}
}

func checkHelperFile(t *testing.T, script string) {
	t.Helper()
	data, err := os.ReadFile(script)
	if err != nil || string(data) != string(helperScript) {
		t.Fatalf("helper is not poolvisor's script: %v", err)
	}
	for path, mode := range map[string]os.FileMode{script: 0o644, filepath.Dir(script): 0o755} {
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
			t.Errorf("%s: mode %v uid %d, want %v uid %d", path, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, mode, os.Geteuid())
		}
	}
}

func TestOpcacheRefusesPoolsThatCannotRunTheHelper(t *testing.T) {
	jail := helperParent(t)
	// A pool whose user prepends code to every script: its answer is not
	// the helper's.
	prepend := filepath.Join(helperParent(t), "prepend.php")
	if err := os.WriteFile(prepend, []byte("<?php echo 'garbage';\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := sandbox.FPM(t,
		sandbox.Pool{Name: "www"},
		sandbox.Pool{Name: "hostile", MaxChildren: 1, Extra: map[string]string{"php_admin_value[auto_prepend_file]": prepend}},
		sandbox.Pool{Name: "jailed", MaxChildren: 1, Extra: map[string]string{"chroot": jail}},
		sandbox.Pool{Name: "noext", MaxChildren: 1, Extra: map[string]string{"security.limit_extensions": ".phtml"}},
		sandbox.Pool{Name: "based", MaxChildren: 1, Extra: map[string]string{"php_admin_value[open_basedir]": "/srv/poolvisor-elsewhere"}},
	)
	dir := filepath.Join(helperParent(t), "helper")
	b := testBackend(t, f, func(c *Config) { c.HelperDir = dir })
	for _, c := range []struct{ pool, why string }{
		{"jailed", "runs chrooted in " + jail},
		{"noext", "security.limit_extensions (.phtml) does not allow .php"},
		{"based", "open_basedir (/srv/poolvisor-elsewhere, from php_admin_value[open_basedir]) does not include"},
	} {
		t.Run(c.pool, func(t *testing.T) {
			for _, name := range []string{"fpm.opcache.status", "fpm.opcache.reset"} {
				r := run(t, b, op(name, c.pool))
				if r.status != ops.StatusInvalid || !strings.Contains(r.msg, c.why) {
					t.Errorf("%s %s: %s %q, want invalid with %q", name, c.pool, r.status, r.msg, c.why)
				}
			}
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Errorf("a refused request wrote the helper dir: %v", err)
			}
		})
	}
	r := run(t, b, op("fpm.opcache.status", "hostile"))
	if r.status != ops.StatusFailed || !strings.Contains(r.msg, "pool hostile answered something other than poolvisor's script would") || strings.Contains(r.msg, "garbage") {
		t.Errorf("hostile pool: %s %q", r.status, r.msg)
	}
	// Without a pool, the first that can run it answers: hostile fails,
	// www answers.
	if d := opcacheData(t, run(t, b, op("fpm.opcache.status", ""))); d.Pool != "www" {
		t.Errorf("asked through %s, want www", d.Pool)
	}
}

func TestOpcacheRefusesAHelperDirOthersControl(t *testing.T) {
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, parent, dir string)
		why   string
	}{
		{"dir owned by another user", func(t *testing.T, parent, dir string) {
			mkdir(t, dir, 0o755)
			chown(t, dir, uid)
		}, "belongs to uid"},
		{"parent writable by others", func(t *testing.T, parent, dir string) {
			if err := os.Chmod(parent, 0o777); err != nil {
				t.Fatal(err)
			}
		}, "may be written by others"},
		{"parent owned by another user", func(t *testing.T, parent, dir string) { chown(t, parent, uid) }, "belongs to uid"},
		{"dir is a symlink", func(t *testing.T, parent, dir string) {
			if err := os.Symlink(t.TempDir(), dir); err != nil {
				t.Fatal(err)
			}
		}, "is not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give files away")
			}
			parent := helperParent(t)
			dir := filepath.Join(parent, "helper")
			c.setup(t, parent, dir)
			err := installHelper(filepath.Join(dir, helperName))
			if err == nil || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("installHelper: %v, want %q", err, c.why)
			}
			if _, err := os.Lstat(filepath.Join(dir, helperName)); !os.IsNotExist(err) {
				t.Errorf("the helper was written: %v", err)
			}
		})
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Chown(path, uid, -1); err != nil {
		t.Fatal(err)
	}
}

func TestParseHelperIsStrict(t *testing.T) {
	good := `{"helper":1,"enabled":true,"cache_full":false,"restart_pending":false,"used":1048576,"free":2097152,"wasted":0,"wasted_pct":0.0,"hit_rate":66.5,"hits":2,"misses":1,"scripts":3,"keys":4,"max_keys":16229,"oom_restarts":0,"hash_restarts":0,"manual_restarts":1,"interned_used":10,"interned_free":20,"interned_strings":30}`
	for _, c := range []struct {
		name, body, err string
	}{
		{"poolvisor's answer", good, ""},
		{"disabled", `{"helper":1,"error":"disabled"}`, ""},
		{"html before it", "<b>Warning</b>" + good, "not its JSON"},
		{"more after it", good + `{"x":1}`, "more after the object"},
		{"an unknown field", `{"helper":1,"secret":"x"}`, "unknown field"},
		{"no helper version", `{"enabled":true}`, "no helper version"},
		{"a negative figure", `{"helper":1,"scripts":-1}`, "negative"},
		{"a hit rate above 100", `{"helper":1,"hit_rate":100.5}`, "percentage"},
		{"a string for a number", `{"helper":1,"used":"lots"}`, "not its JSON"},
		{"too big", `{"helper":1,"error":"` + strings.Repeat("x", maxHelperAnswer) + `"}`, "more than"},
		{"empty", ``, "not its JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseHelper([]byte(c.body))
			switch {
			case c.err == "" && err != nil:
				t.Errorf("parseHelper: %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("parseHelper: %v, want %q", err, c.err)
			}
		})
	}
}

func TestHelperRefusalReadsOpenBasedirAsPHPDoes(t *testing.T) {
	script := "/run/poolvisor-fpm/" + helperName
	for _, c := range []struct {
		basedir string
		ok      bool
	}{
		{"/run/poolvisor-fpm", true},
		{"/var/www:/run/poolvisor-fpm/", true},
		{"/run", true},
		{".", true},
		{"/var/www:/tmp", false},
		{"/run/poolvisor-fpmx", false},
	} {
		e := poolEntry{name: "p", directives: map[string]string{"php_value[open_basedir]": c.basedir}}
		if why := helperRefusal(e, script); (why == "") != c.ok {
			t.Errorf("open_basedir %s: refusal %q, want allowed %v", c.basedir, why, c.ok)
		}
	}
}
