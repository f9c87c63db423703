package phpfpm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// testBackend returns a backend on the sandboxed php-fpm f, in service mode
// signal, with www protected.
func testBackend(t testing.TB, f *sandbox.PHPFPM, mutate ...func(*Config)) *Backend {
	t.Helper()
	u, g := f.User, f.Group
	if u == "" { // not root: php-fpm keeps the caller's identity
		cur, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		grp, err := user.LookupGroupId(cur.Gid)
		if err != nil {
			t.Fatal(err)
		}
		u, g = cur.Username, grp.Name
	}
	cfg := Config{
		Host: "web-test", Version: f.Version, Binary: f.Binary, MainConfig: f.MainConfig, PoolDir: f.PoolDir,
		SocketDir: f.SocketDir, LogDir: filepath.Join(f.Dir, "log"),
		ProtectedPools: []string{"www"}, DefaultUser: u, DefaultGroup: g,
		// Tests of the backend listen on documentation addresses to make
		// php-fpm fail; the write policy has tests of its own.
		Policy:        writepolicy.Policy{FPMTCP: writepolicy.TCPAny},
		Service:       ServiceConfig{Mode: "signal", PIDFile: f.PIDFile},
		ReloadTimeout: 10 * time.Second,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	b, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// result is what a request through a handler came to.
type result struct {
	status ops.Status
	msg    string
	data   any
}

// run plans and applies op the way the pipeline does (without approvals).
func run(t *testing.T, b *Backend, op ops.Operation) result {
	t.Helper()
	h, ok := b.Handlers()[op.Name]
	if !ok {
		t.Fatalf("no handler for %s", op.Name)
	}
	return runOn(t, h, op)
}

// runOn plans and applies op with handler h (an Instances' route, say).
func runOn(t *testing.T, h ops.Handler, op ops.Operation) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	plan, err := h.Plan(ctx, ops.Request{Actor: ops.Actor{Platform: "local", ID: "tester"}, Op: op})
	if err == nil {
		var out ops.Outcome
		if out, err = plan.Apply(ctx); err == nil {
			return result{ops.StatusOK, out.Message, out.Data}
		}
	}
	status, msg := ops.UserError(err)
	var e *ops.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: internal error: %v", op.Name, err)
	}
	return result{status, msg, e.Data}
}

// op builds an operation; args alternate key, value.
func op(name, target string, args ...string) ops.Operation {
	o := ops.Operation{Name: name, Target: target}
	for i := 0; i+1 < len(args); i += 2 {
		o.Args = append(o.Args, ops.Arg{Key: args[i], Value: args[i+1]})
	}
	return o
}

// dirDigest digests every file name and content under dir.
func dirDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(e.Name() + "\x00"))
		h.Write(data)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// quiet captures what must not change when a write is refused: the pool
// dir's bytes, the workers' pids and the number of reloads in the log.
type quiet struct {
	dir     string
	workers map[string][]int
	reloads int
}

func snapshot(t *testing.T, f *sandbox.PHPFPM, pools ...string) quiet {
	t.Helper()
	q := quiet{dir: dirDigest(t, f.PoolDir), workers: map[string][]int{}, reloads: strings.Count(f.Log(), "Reloading in progress")}
	for _, p := range pools {
		q.workers[p] = f.Workers(p)
	}
	return q
}

func (q quiet) check(t *testing.T, f *sandbox.PHPFPM) {
	t.Helper()
	if d := dirDigest(t, f.PoolDir); d != q.dir {
		t.Errorf("the pool dir changed")
	}
	if n := strings.Count(f.Log(), "Reloading in progress"); n != q.reloads {
		t.Errorf("php-fpm was reloaded (%d reloads, was %d)", n, q.reloads)
	}
	for p, pids := range q.workers {
		if now := f.Workers(p); !slices.Equal(now, pids) {
			t.Errorf("workers of %s changed: %v -> %v", p, pids, now)
		}
	}
}

// fpmTT returns php-fpm -tt's dump of the configuration at main.
func fpmTT(t *testing.T, binary, main string) string {
	t.Helper()
	out, err := exec.Command(binary, "-tt", "-y", main).CombinedOutput()
	if err != nil {
		t.Fatalf("php-fpm -tt: %v\n%s", err, out)
	}
	return string(out)
}
