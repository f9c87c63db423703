package phpfpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestRefusedWritesTouchNothing: every write that breaks a rule is refused
// as invalid, with the pool dir byte-identical, no reload (no new reload in
// php-fpm's log) and the workers' pids unchanged.
func TestRefusedWritesTouchNothing(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 4})
	b := testBackend(t, f)
	tests := []struct {
		name string
		op   ops.Operation
		want string
	}{
		{"start_servers out of range", op("fpm.pool.edit", "api", "start-servers", "9"), "pm.start_servers (9) must be between"},
		{"spares over max_children", op("fpm.pool.create", "new", "max-children", "4", "max-spare", "6", "start-servers", "2"), "must not exceed pm.max_children (4)"},
		{"max spare under min spare", op("fpm.pool.edit", "api", "min-spare", "3", "max-spare", "2", "start-servers", "2"), "pm.max_spare_servers (2) must be at least pm.min_spare_servers (3)"},
		{"listen already used", op("fpm.pool.create", "new", "listen", f.SocketPath("www")), "is already used by pool www"},
		{"listen in a missing dir", op("fpm.pool.create", "new", "listen", "/nonexistent/x.sock"), "does not exist"},
		{"listen bare port", op("fpm.pool.create", "new", "listen", "9000"), "like 127.0.0.1:9000"},
		{"unknown user", op("fpm.pool.create", "new", "user", "no-such-user-here"), `user "no-such-user-here": no such user`},
		{"root user", op("fpm.pool.edit", "api", "user", "root"), "must not run PHP as root"},
		{"status path without slash", op("fpm.pool.edit", "api", "status-path", "status"), "must start with '/'"},
		{"ondemand without idle timeout", op("fpm.pool.edit", "api", "pm", "ondemand", "idle-timeout", "0"), "more than 0 for pm ondemand"},
		{"bad pm", op("fpm.pool.edit", "api", "pm", "lazy"), "not a process manager"},
		{"unknown directive", op("fpm.pool.edit", "api", "set", "pm.max_childrn=3"), "did you mean pm.max_children"},
		{"newline injection", op("fpm.pool.edit", "api", "set", "user=nobody\nuser = root"), "line break"},
		{"carriage return", op("fpm.pool.edit", "api", "user", "nobody\r"), "line break"},
		{"section as key", op("fpm.pool.edit", "api", "set", "[global]=x"), "not a directive name"},
		{"global as a pool", op("fpm.pool.create", "global"), "reads [global] as its own"},
		{"bad name", op("fpm.pool.create", "a/b"), "not a valid pool name"},
		{"set without =", op("fpm.pool.edit", "api", "set", "pm"), "KEY=VALUE"},
		{"php-fpm's own test", op("fpm.pool.edit", "api", "set", "rlimit_core=lots"), "'rlimit_core'"},
		{"edit without flags", op("fpm.pool.edit", "api"), "nothing to change"},
		{"create existing", op("fpm.pool.create", "api"), "already exists"},
		{"unknown pool", op("fpm.pool.edit", "nope", "max-children", "3"), "no pool named nope"},
		{"protected edit", op("fpm.pool.edit", "www", "max-children", "3"), "www is protected"},
		{"protected delete", op("fpm.pool.delete", "www"), "www is protected"},
	}
	q := snapshot(t, f, "www", "api")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, b, tt.op)
			if r.status != ops.StatusInvalid || !strings.Contains(r.msg, tt.want) {
				t.Errorf("got %s %q, want invalid mentioning %q", r.status, r.msg, tt.want)
			}
			q.check(t, f)
		})
	}
}

// TestDeleteLastPoolRefused: php-fpm needs at least one pool.
func TestDeleteLastPoolRefused(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "only"})
	b := testBackend(t, f)
	q := snapshot(t, f, "only")
	r := run(t, b, op("fpm.pool.delete", "only"))
	if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "No pool defined") {
		t.Errorf("got %s %q", r.status, r.msg)
	}
	q.check(t, f)
}

// TestFailedReloadRollsBack: a pool that passes both validation stages but
// cannot start (its address is not on this host) is rolled back byte for
// byte, php-fpm comes back, and the answer carries php-fpm's log lines.
func TestFailedReloadRollsBack(t *testing.T) {
	t.Parallel()
	for _, daemonize := range []bool{false, true} {
		t.Run(map[bool]string{false: "foreground", true: "daemonized"}[daemonize], func(t *testing.T) {
			t.Parallel()
			start := sandbox.FPM
			if daemonize {
				start = sandbox.FPMDaemonized
			}
			f := start(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api"})
			b := testBackend(t, f)
			api := filepath.Join(f.PoolDir, "api.conf")
			before := dirDigest(t, f.PoolDir)

			r := run(t, b, op("fpm.pool.edit", "api", "listen", "203.0.113.7:9000"))
			if r.status != ops.StatusFailed || !strings.Contains(r.msg, "Cannot assign requested address") ||
				!strings.Contains(r.msg, "was restored and php-fpm runs on the previous configuration again") {
				t.Fatalf("got %s:\n%s", r.status, r.msg)
			}
			if dirDigest(t, f.PoolDir) != before {
				t.Errorf("pool dir not restored byte for byte")
			}
			if f.MasterPID() == 0 || f.Dial("www") != nil || f.Dial("api") != nil {
				t.Errorf("php-fpm not back: master %d, www %v, api %v", f.MasterPID(), f.Dial("www"), f.Dial("api"))
			}

			r = run(t, b, op("fpm.pool.create", "new", "listen", "203.0.113.7:9001"))
			if r.status != ops.StatusFailed || !strings.Contains(r.msg, "was removed again") {
				t.Fatalf("create: got %s:\n%s", r.status, r.msg)
			}
			if _, err := os.Stat(filepath.Join(f.PoolDir, "new.conf")); !os.IsNotExist(err) || dirDigest(t, f.PoolDir) != before {
				t.Errorf("created file left behind (%v)", err)
			}
			if _, err := os.ReadFile(api); err != nil || f.Dial("api") != nil || !strings.Contains(r.msg, "runs on the previous configuration again") {
				t.Errorf("api not serving after the second rollback:\n%s", r.msg)
			}
		})
	}
}

// TestConflictWhenFileChanged: a plan applied after the file changed under
// it (as an approval applied later would be) changes nothing.
func TestConflictWhenFileChanged(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api"})
	b := testBackend(t, f)
	ctx := context.Background()
	plan, err := b.Handlers()["fpm.pool.delete"].Plan(ctx, ops.Request{Op: op("fpm.pool.delete", "api")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Handlers()["fpm.pool.delete"].Plan(ctx, ops.Request{Op: op("fpm.pool.delete", "api")})
	if err != nil || again.Fingerprint != plan.Fingerprint {
		t.Fatalf("planning twice gives fingerprints %q and %q (%v)", plan.Fingerprint, again.Fingerprint, err)
	}
	file := filepath.Join(f.PoolDir, "api.conf")
	data, _ := os.ReadFile(file)
	edited := append(data, "; touched by hand\n"...)
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	q := snapshot(t, f, "api")
	_, err = plan.Apply(ctx)
	if status, msg := ops.UserError(err); status != ops.StatusConflict {
		t.Fatalf("got %s %q, want conflict", status, msg)
	}
	q.check(t, f)
}

// TestReloadWithQuietLog: with log_level above notice php-fpm logs no ready
// line, and the end of a reload is told by its workers instead.
func TestReloadWithQuietLog(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "ondemand"})
	main, err := os.ReadFile(f.MainConfig)
	if err != nil {
		t.Fatal(err)
	}
	quiet := strings.Replace(string(main), "[global]\n", "[global]\nlog_level = warning\n", 1)
	if err := os.WriteFile(f.MainConfig, []byte(quiet), 0o644); err != nil {
		t.Fatal(err)
	}
	b := testBackend(t, f)
	old := f.Workers("www")
	if r := run(t, b, op("fpm.pool.edit", "api", "max-children", "3")); r.status != ops.StatusOK {
		t.Fatalf("edit: %s %s", r.status, r.msg)
	}
	if now := f.Workers("www"); len(now) != 2 || now[0] == old[0] {
		t.Errorf("www workers %v -> %v: no reload seen", old, now)
	}
	before := dirDigest(t, f.PoolDir)
	r := run(t, b, op("fpm.pool.edit", "api", "listen", "203.0.113.7:9000"))
	if r.status != ops.StatusFailed || !strings.Contains(r.msg, "runs on the previous configuration again") {
		t.Fatalf("failing edit: %s\n%s", r.status, r.msg)
	}
	if dirDigest(t, f.PoolDir) != before || f.Dial("api") != nil || f.Dial("www") != nil {
		t.Errorf("not rolled back: api %v, www %v", f.Dial("api"), f.Dial("www"))
	}
}

// TestWriteWhileStopped: with php-fpm down nothing can be verified, so
// nothing is written.
func TestWriteWhileStopped(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api"})
	b := testBackend(t, f)
	if err := f.Stop(); err != nil {
		t.Fatal(err)
	}
	before := dirDigest(t, f.PoolDir)
	r := run(t, b, op("fpm.pool.edit", "api", "max-children", "3"))
	if r.status != ops.StatusFailed || !strings.Contains(r.msg, "not running") {
		t.Errorf("got %s %s", r.status, r.msg)
	}
	if dirDigest(t, f.PoolDir) != before || f.MasterPID() != 0 {
		t.Errorf("pool dir changed or php-fpm started")
	}
}
