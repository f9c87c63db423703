package phpfpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// host is a sandboxed php-fpm laid out the way existing hosts have it: two
// pools sharing one file of the pool dir with inline comments and odd
// spacing, a pool in a file named after its site in a directory that the
// main config includes with a relative glob, and a pool in php-fpm.conf
// itself.
type host struct {
	f                   *sandbox.PHPFPM
	sites               string // the directory included by the relative glob
	shared, site        string // the files
	sharedText, shopTxt string // the shared file, and its [shop] part as written
	blogTxt             string // its [blog] part, the comment above it included
	siteText, mainText  string
}

func newHost(t *testing.T) *host {
	t.Helper()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"})
	id := ""
	if f.User != "" {
		id = "user = " + f.User + "\ngroup = " + f.Group + "\n"
	}
	h := &host{f: f, sites: filepath.Join(f.Dir, "sites"), shared: filepath.Join(f.PoolDir, "shared.conf")}
	h.site = filepath.Join(h.sites, "example.com.conf")
	h.shopTxt = "; Shop and blog share this file (hand-written, 2019).\n[shop]\n" + id +
		"listen=" + f.SocketPath("shop") + "   ; the front end\npm = static\npm.max_children=1 ; one is plenty\n\n"
	h.blogTxt = "; the blog\n[blog]   ; old\n" + id + "listen = " + f.SocketPath("blog") + "\npm   =   static\n\tpm.max_children = 1\n"
	h.sharedText = h.shopTxt + h.blogTxt
	h.siteText = "; example.com, deployed by the site's own role\n[example.com]\n" + id +
		"listen = " + f.SocketPath("example.com") + "\npm = static\npm.max_children = 1\n"
	main, err := os.ReadFile(f.MainConfig)
	if err != nil {
		t.Fatal(err)
	}
	// php-fpm reads a relative include against its prefix, /usr.
	rel, err := filepath.Rel("/usr", filepath.Join(h.sites, "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	h.mainText = string(main) + "include=" + rel + "\n\n; kept here by the old admin\n[status]\n" + id +
		"listen = " + f.SocketPath("status") + "\npm = static\npm.max_children = 1 ; enough\n"
	if err := os.Mkdir(h.sites, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, text := range map[string]string{h.shared: h.sharedText, h.site: h.siteText, f.MainConfig: h.mainText} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	h.waitPools(t, "shop", "blog", "example.com", "status")
	return h
}

// waitPools waits, bounded, until each pool accepts connections.
func (h *host) waitPools(t *testing.T, pools ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range pools {
		for h.f.Dial(p) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("pool %s does not accept connections: %v", p, h.f.Dial(p))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// waitGone waits, bounded, until pool has no workers.
func (h *host) waitGone(t *testing.T, pool string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.f.Workers(pool)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pool %s still has workers %v", pool, h.f.Workers(pool))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// files returns every config file's bytes: the main config, the pool dir
// and the sites dir.
func (h *host) files(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, dir := range []string{h.f.PoolDir, h.sites} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[filepath.Join(dir, e.Name())] = string(data)
		}
	}
	main, _ := os.ReadFile(h.f.MainConfig)
	out[h.f.MainConfig] = string(main)
	return out
}

// same reports the first config file that differs from before.
func (h *host) same(t *testing.T, before map[string]string) {
	t.Helper()
	now := h.files(t)
	for p, b := range before {
		if now[p] != b {
			t.Errorf("%s changed:\n%s\nwas:\n%s", p, now[p], b)
		}
	}
	for p := range now {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

func (h *host) read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// versions is a history of pool files on SQLite, with its rollback handler.
type versions struct {
	s        *history.Store
	rollback ops.Handler
}

func newVersions(t *testing.T, b *Backend) versions {
	t.Helper()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := history.New(context.Background(), db, 0)
	if err != nil {
		t.Fatal(err)
	}
	hs := b.Handlers()
	_, rb := s.Handlers(history.Files{Kind: PoolKind, Path: b.PoolPath,
		Edit: hs["fpm.pool.edit"], Add: hs["fpm.pool.create"], Delete: hs["fpm.pool.delete"],
		Ops: [3]string{"fpm.pool.edit", "fpm.pool.create", "fpm.pool.delete"}, Section: PoolSection})
	return versions{s: s, rollback: rb}
}

// run plans and applies op as the pipeline does, recording the versions
// of what it wrote; op fpm.pool.rollback goes through the history.
func (v versions) run(t *testing.T, b *Backend, o ops.Operation) result {
	t.Helper()
	h := b.Handlers()[o.Name]
	if o.Name == "fpm.pool.rollback" {
		h = v.rollback
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := ops.Request{Actor: ops.Actor{Platform: "local", ID: "tester"}, Op: o}
	plan, err := h.Plan(ctx, req)
	if err == nil {
		var out ops.Outcome
		if out, err = plan.Apply(ctx); err == nil {
			for _, c := range plan.Changes {
				if err := v.s.Record(ctx, c, ops.VersionMeta{Actor: req.Actor, Operation: o.Name}); err != nil {
					t.Fatal(err)
				}
			}
			return result{ops.StatusOK, out.Message, out.Data}
		}
	}
	status, msg := ops.UserError(err)
	return result{status, msg, nil}
}

// wantStatus fails unless r has status want and mentions every word.
func wantStatus(t *testing.T, what string, r result, want ops.Status, words ...string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: %s %s, want %s", what, r.status, r.msg, want)
	}
	for _, w := range words {
		if !strings.Contains(r.msg, w) {
			t.Errorf("%s: %q does not mention %q", what, r.msg, w)
		}
	}
}
