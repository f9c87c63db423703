package phpfpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// TestPoolWritePolicyDormantLogs: php-fpm opens (as root, O_CREAT) a pool's
// slowlog only when request_slowlog_timeout is on, and resolves a relative
// log against prefix. A pool written before poolvisor, with a slowlog
// outside the policy that php-fpm never opened, must not become a file root
// creates and appends to by an edit of the timeout or of the prefix alone:
// not at the apply, and not at php-fpm -t during the plan either.
func TestPoolWritePolicyDormantLogs(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	prefix := t.TempDir()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "old", Extra: map[string]string{
		"slowlog": victim, "request_slowlog_timeout": "0",
	}}, sandbox.Pool{Name: "rel", Extra: map[string]string{
		"slowlog": "victim", "request_slowlog_timeout": "5s", "prefix": prefix,
	}})
	b := testBackend(t, f, func(c *Config) { c.Policy = writepolicy.Policy{FPMTCP: writepolicy.TCPLoopback} })
	if err := os.MkdirAll(b.cfg.LogDir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(f.PoolDir, "old.conf"))
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.Replace(string(conf), "request_slowlog_timeout = 0", "request_slowlog_timeout = 1s", 1)
	raw = raw[strings.Index(raw, "[old]"):]
	q := snapshot(t, f, "www", "old", "rel")
	for _, tt := range []struct {
		name string
		op   ops.Operation
	}{
		{"the timeout turns on a slowlog outside", op("fpm.pool.edit", "old", "set", "request_slowlog_timeout=1s")},
		{"raw: the timeout turns on a slowlog outside", op("fpm.pool.edit", "old", "content", raw)},
		{"the prefix moves a relative slowlog outside", op("fpm.pool.edit", "rel", "set", "prefix="+outside)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, b, tt.op)
			if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "slowlog") {
				t.Errorf("got %s %q, want invalid naming slowlog", r.status, r.msg)
			}
			q.check(t, f)
			if _, err := os.Lstat(victim); err == nil {
				t.Errorf("php-fpm created %s as root", victim)
				_ = os.Remove(victim)
			}
		})
	}
}
