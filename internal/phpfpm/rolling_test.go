package phpfpm

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestRollingReloadWaitsForEveryPool(t *testing.T) {
	t.Parallel()
	tcp := freePort(t)
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api"},
		sandbox.Pool{Name: "tcp", Extra: map[string]string{"listen": tcp}})
	b := testBackend(t, f, func(c *Config) { c.ReloadTimeout = 5 * time.Second })

	// Every pool, on a unix socket or TCP, accepts: the reload passes, a
	// step per pool reported through the run.
	master := f.MasterPID()
	var last ops.Progress
	ctx := ops.WithWatcher(context.Background(), func(p ops.Progress) { last = p })
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	trail, err := audit.New(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	pipe := ops.New(ops.Config{Host: "web-test", Audit: trail, Handlers: b.Handlers()})
	out, err := pipe.ApplyAuthorized(ctx, ops.Actor{Platform: "local", ID: "tester"}, op("fpm.service.reload", "", "rolling", "true"), "", ops.VersionMeta{})
	if err != nil || !strings.Contains(out.Text(), "Reloaded php-fpm on web-test") {
		t.Fatalf("rolling reload: %v %s", err, out.Text())
	}
	var steps []string
	for _, s := range last.Steps {
		steps = append(steps, s.Name+"="+string(s.State)+" "+strings.Join(s.Items, ","))
	}
	if want := []string{"pool api=done " + f.SocketPath("api"), "pool tcp=done " + tcp, "pool www=done " + f.SocketPath("www")}; !slices.Equal(steps, want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	if f.MasterPID() != master {
		t.Errorf("a reload changed the master: %d -> %d", master, f.MasterPID())
	}

	// api's socket removed: php-fpm's graceful reload keeps the inherited
	// listening socket and never creates the path again, so api accepts
	// nothing though php-fpm says it is ready.
	if err := os.Remove(f.SocketPath("api")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := run(t, b, op("fpm.service.reload", "", "rolling", "true"))
	if r.status != ops.StatusFailed || !strings.Contains(r.msg, "pool api on "+f.SocketPath("api")) {
		t.Fatalf("reload with api's socket gone: %s %s", r.status, r.msg)
	}
	if strings.Contains(r.msg, "pool www") || strings.Contains(r.msg, "pool tcp") {
		t.Errorf("pools that accept are named as failing: %s", r.msg)
	}
	if waited := time.Since(start); waited > 30*time.Second {
		t.Errorf("the wait was not bounded: %s", waited)
	}
	if err := f.Dial("www"); err != nil {
		t.Errorf("www after the failed check: %v", err)
	}
}
