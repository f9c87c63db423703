package phpfpm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestPoolsWhereTheyAre: every pool php-fpm loads is listed, in php-fpm's
// order, with the file that defines it; an edit of a pool that shares its
// file changes that pool's own line and no other byte anywhere.
func TestPoolsWhereTheyAre(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	b := testBackend(t, h.f)

	r := run(t, b, op("fpm.pool.list", ""))
	var got []string
	for _, p := range r.data.(ops.PoolList).Pools {
		got = append(got, p.Name+" "+p.File)
	}
	want := []string{"shop " + h.shared, "blog " + h.shared, "www " + filepath.Join(h.f.PoolDir, "www.conf"),
		"example.com " + h.site, "status " + h.f.MainConfig}
	if !slices.Equal(got, want) {
		t.Errorf("list:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	before := h.files(t)
	r = run(t, b, op("fpm.pool.edit", "blog", "max-children", "2"))
	wantStatus(t, "edit blog", r, ops.StatusOK)
	before[h.shared] = strings.Replace(h.sharedText, "\tpm.max_children = 1\n", "\tpm.max_children = 2\n", 1)
	h.same(t, before)
	if n := len(h.f.Workers("blog")); n != 2 {
		t.Errorf("blog runs %d workers, want 2", n)
	}

	// A directive the pool lacks goes at the end of its own section.
	r = run(t, b, op("fpm.pool.edit", "shop", "set", "request_terminate_timeout=30s"))
	wantStatus(t, "edit shop", r, ops.StatusOK)
	before[h.shared] = strings.Replace(before[h.shared], "one is plenty\n", "one is plenty\nrequest_terminate_timeout = 30s\n", 1)
	h.same(t, before)

	// The site's file, included by a relative glob.
	r = run(t, b, op("fpm.pool.edit", "example.com", "max-children", "2"))
	wantStatus(t, "edit example.com", r, ops.StatusOK)
	before[h.site] = strings.Replace(h.siteText, "pm.max_children = 1", "pm.max_children = 2", 1)
	h.same(t, before)
	fpmTT(t, h.f.Binary, h.f.MainConfig)
	h.waitPools(t, "shop", "blog", "example.com", "status", "www")
}

// TestRawSection: the chat form of a pool that shares its file holds that
// pool's own section; what comes back replaces only it, and may hold
// nothing but it.
func TestRawSection(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	b := testBackend(t, h.f)

	show := run(t, b, op("fpm.pool.show", "blog"))
	wantStatus(t, "show blog", show, ops.StatusOK)
	content := show.data.(ops.PoolShow).Pool.Content
	if content != h.blogTxt {
		t.Fatalf("raw form of blog:\n%q\nwant:\n%q", content, h.blogTxt)
	}
	if c := run(t, b, op("fpm.pool.show", "shop")).data.(ops.PoolShow).Pool.Content; c != "[shop]"+strings.SplitN(h.shopTxt, "[shop]", 2)[1] {
		t.Errorf("raw form of shop:\n%q", c)
	}

	q := snapshot(t, h.f, "shop", "blog")
	before := h.files(t)
	for _, tt := range []struct{ name, content, want string }{
		{"global section", content + "[global]\npid = /tmp/evil.pid\n", "must hold exactly the section [blog]"},
		{"another pool", content + "[shop]\nuser = root\n", "must hold exactly the section [blog]"},
		{"include", strings.Replace(content, "pm   =", "include = /tmp/*.conf\npm   =", 1), "include is not a pool directive"},
		{"directive before the header", "pid = /tmp/evil.pid\n" + content, "before its [blog] header"},
		{"line rules", strings.Replace(content, "pm   =   static", "pm = static\n# hash comment", 1), "'#'"},
	} {
		r := run(t, b, op("fpm.pool.edit", "blog", "content", tt.content))
		wantStatus(t, tt.name, r, ops.StatusInvalid, tt.want)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"line break in a value", []string{"set", "pm.max_children=2\n[global]"}, "line break"},
		{"new section by key", []string{"set", "[global]=x"}, "not a directive name"},
		{"include by key", []string{"set", "include=/tmp/*.conf"}, "include"},
	} {
		r := run(t, b, op("fpm.pool.edit", "shop", tt.args...))
		wantStatus(t, tt.name, r, ops.StatusInvalid, tt.want)
	}
	q.check(t, h.f)
	h.same(t, before)

	// A form that drops the trailing blank lines keeps the spacing.
	edited := strings.Replace(strings.TrimRight(content, "\n"), "\tpm.max_children = 1", "\tpm.max_children = 2\npm.max_requests = 100", 1)
	r := run(t, b, op("fpm.pool.edit", "shop", "content", "[shop]"+strings.SplitN(strings.Replace(h.shopTxt, "pm = static", "pm = static\npm.max_requests = 50", 1), "[shop]", 2)[1]))
	wantStatus(t, "raw edit shop", r, ops.StatusOK)
	r = run(t, b, op("fpm.pool.edit", "blog", "content", edited))
	wantStatus(t, "raw edit blog", r, ops.StatusOK)
	want := strings.Replace(h.shopTxt, "pm = static", "pm = static\npm.max_requests = 50", 1) +
		strings.Replace(strings.TrimRight(h.blogTxt, "\n"), "\tpm.max_children = 1", "\tpm.max_children = 2\npm.max_requests = 100", 1)
	if got := h.read(t, h.shared); got != want {
		t.Errorf("shared file:\n%q\nwant:\n%q", got, want)
	}
	if n := len(h.f.Workers("blog")); n != 2 {
		t.Errorf("blog runs %d workers, want 2", n)
	}
}

// TestDeleteAndRollbackInSharedFile: delete removes the pool's section
// only; a rollback brings it back into that file without undoing what was
// done to the other pool since.
func TestDeleteAndRollbackInSharedFile(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	b := testBackend(t, h.f)
	v := newVersions(t, b)

	// Deleted and rolled back with nothing else changed in between: the
	// file is as it was, byte for byte, the pool in its old place.
	r := v.run(t, b, op("fpm.pool.delete", "shop"))
	wantStatus(t, "delete shop", r, ops.StatusOK)
	if got, want := h.read(t, h.shared), "; Shop and blog share this file (hand-written, 2019).\n"+h.blogTxt; got != want {
		t.Errorf("after deleting shop:\n%q\nwant:\n%q", got, want)
	}
	h.waitGone(t, "shop")
	r = v.run(t, b, op("fpm.pool.rollback", "shop"))
	wantStatus(t, "rollback shop", r, ops.StatusOK)
	if got := h.read(t, h.shared); got != h.sharedText {
		t.Errorf("after rolling shop back:\n%q\nwant:\n%q", got, h.sharedText)
	}
	h.waitPools(t, "shop")

	before := h.files(t)
	r = v.run(t, b, op("fpm.pool.delete", "blog"))
	wantStatus(t, "delete blog", r, ops.StatusOK)
	before[h.shared] = h.shopTxt[:len(h.shopTxt)-1] // the blank line before blog's comment goes too
	h.same(t, before)
	h.waitGone(t, "blog")

	r = v.run(t, b, op("fpm.pool.edit", "shop", "max-children", "2"))
	wantStatus(t, "edit shop", r, ops.StatusOK)
	shop := strings.Replace(h.shopTxt, "pm.max_children=1 ;", "pm.max_children = 2 ;", 1)

	r = v.run(t, b, op("fpm.pool.rollback", "blog"))
	wantStatus(t, "rollback blog", r, ops.StatusOK)
	if got := h.read(t, h.shared); got != shop+h.blogTxt {
		t.Errorf("after rollback:\n%q\nwant:\n%q", got, shop+h.blogTxt)
	}
	h.waitPools(t, "blog", "shop")
	if n := len(h.f.Workers("shop")); n != 2 {
		t.Errorf("shop runs %d workers after blog's rollback, want 2", n)
	}

	// Rolling blog back again deletes it again (its previous version),
	// still without touching shop.
	r = v.run(t, b, op("fpm.pool.rollback", "blog"))
	wantStatus(t, "rollback blog again", r, ops.StatusOK)
	if got := h.read(t, h.shared); got != shop[:len(shop)-1] {
		t.Errorf("after the second rollback:\n%q", got)
	}

	// A file named after its site, holding its pool alone, goes with the
	// pool and comes back byte for byte, under its own name.
	r = v.run(t, b, op("fpm.pool.delete", "example.com"))
	wantStatus(t, "delete example.com", r, ops.StatusOK)
	if _, err := os.Stat(h.site); !os.IsNotExist(err) {
		t.Errorf("site file still there: %v", err)
	}
	r = v.run(t, b, op("fpm.pool.rollback", "example.com"))
	wantStatus(t, "rollback example.com", r, ops.StatusOK)
	if got := h.read(t, h.site); got != h.siteText {
		t.Errorf("site file after rollback:\n%q", got)
	}
	h.waitPools(t, "example.com")

	// The last pool of a file: the file goes when only comments remain.
	r = v.run(t, b, op("fpm.pool.delete", "shop"))
	wantStatus(t, "delete shop", r, ops.StatusOK)
	if _, err := os.Stat(h.shared); !os.IsNotExist(err) {
		t.Errorf("shared file still there: %v", err)
	}
}

// TestMainConfigPool: a pool in php-fpm.conf is shown, but edited only with
// EditMainConfig, and then only its own lines change.
func TestMainConfigPool(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	b := testBackend(t, h.f)
	show := run(t, b, op("fpm.pool.show", "status"))
	wantStatus(t, "show status", show, ops.StatusOK, "main config")
	q := snapshot(t, h.f, "status")
	before := h.files(t)
	r := run(t, b, op("fpm.pool.edit", "status", "max-children", "2"))
	wantStatus(t, "edit without EditMainConfig", r, ops.StatusInvalid, h.f.MainConfig, "EditMainConfig")
	q.check(t, h.f)
	h.same(t, before)
	if got := b.Uneditable(); !slices.Contains(got, h.f.MainConfig+": it is php-fpm's main config, which poolvisor writes only when allowed to (phpfpm EditMainConfig)") {
		t.Errorf("Uneditable = %q", got)
	}

	b = testBackend(t, h.f, func(c *Config) { c.EditMainConfig = true })
	r = run(t, b, op("fpm.pool.edit", "status", "max-children", "2"))
	wantStatus(t, "edit with EditMainConfig", r, ops.StatusOK)
	before[h.f.MainConfig] = strings.Replace(h.mainText, "pm.max_children = 1 ; enough", "pm.max_children = 2 ; enough", 1)
	h.same(t, before)
	if n := len(h.f.Workers("status")); n != 2 {
		t.Errorf("status runs %d workers, want 2", n)
	}
	if got := b.Uneditable(); len(got) != 0 {
		t.Errorf("Uneditable = %q", got)
	}
}

// TestSharedFileConflictAndRestore: a shared file or the main config
// changed between plan and apply is a conflict; a change php-fpm does not
// come back from is undone byte for byte, the whole shared file.
func TestSharedFileConflictAndRestore(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	b := testBackend(t, h.f, func(c *Config) { c.EditMainConfig = true })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := func(o ops.Operation) ops.Request {
		return ops.Request{Actor: ops.Actor{Platform: "local", ID: "tester"}, Op: o}
	}
	for _, tt := range []struct{ pool, file string }{{"shop", h.shared}, {"status", h.f.MainConfig}} {
		plan, err := b.Handlers()["fpm.pool.edit"].Plan(ctx, req(op("fpm.pool.edit", tt.pool, "max-children", "2")))
		if err != nil {
			t.Fatal(err)
		}
		hand := h.read(t, tt.file) + "; touched by hand\n"
		if err := os.WriteFile(tt.file, []byte(hand), 0o644); err != nil {
			t.Fatal(err)
		}
		q := snapshot(t, h.f, "shop", "status")
		_, err = plan.Apply(ctx)
		if status, msg := ops.UserError(err); status != ops.StatusConflict || !strings.Contains(msg, tt.file) {
			t.Errorf("%s: %s %q, want conflict", tt.pool, status, msg)
		}
		if h.read(t, tt.file) != hand {
			t.Errorf("%s: the file was written", tt.file)
		}
		q.check(t, h.f)
	}

	// php-fpm's own test runs on staged copies wherever the file is, and
	// its answer names the live file.
	before := h.files(t)
	q := snapshot(t, h.f, "shop", "blog", "status")
	for _, tt := range []struct{ pool, file string }{{"blog", h.shared}, {"status", h.f.MainConfig}, {"example.com", h.site}} {
		r := run(t, b, op("fpm.pool.edit", tt.pool, "set", "rlimit_core=lots"))
		wantStatus(t, tt.pool+": php-fpm -t", r, ops.StatusInvalid, "'rlimit_core'", tt.file+":")
		if strings.Contains(r.msg, "poolvisor-fpm-check-") {
			t.Errorf("%s: the answer names the staged copy: %s", tt.pool, r.msg)
		}
	}
	q.check(t, h.f)
	h.same(t, before)

	for _, pool := range []string{"blog", "status"} {
		r := run(t, b, op("fpm.pool.edit", pool, "listen", "203.0.113.7:9000"))
		wantStatus(t, "edit "+pool+" onto an address php-fpm cannot bind", r, ops.StatusFailed, "restored")
		h.same(t, before)
		h.waitPools(t, "shop", "blog", "status", "example.com")
	}
}

// TestRefusedPlaces: a pool defined twice, a file poolvisor cannot write
// back exactly and a file reached through a link are shown but not edited,
// and Uneditable names each.
func TestRefusedPlaces(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	id := ""
	if h.f.User != "" {
		id = "user = " + h.f.User + "\n"
	}
	twice := filepath.Join(h.sites, "shop-extra.conf")
	legacy := filepath.Join(h.sites, "legacy.conf")
	link := filepath.Join(h.sites, "linked.conf")
	target := filepath.Join(h.f.Dir, "elsewhere.conf")
	for path, text := range map[string]string{
		twice:  "[shop]\npm.max_requests = 500\n",
		legacy: "; php-fpm reads a quoted section name; poolvisor does not write it\n[\"legacy\"]\n" + id + "listen = " + h.f.SocketPath("legacy") + "\npm = static\npm.max_children = 1\n",
		target: "[linked]\n" + id + "listen = " + h.f.SocketPath("linked") + "\npm = static\npm.max_children = 1\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := h.f.Reload(); err != nil {
		t.Fatal(err)
	}
	h.waitPools(t, "legacy", "linked", "shop")
	b := testBackend(t, h.f)

	q := snapshot(t, h.f, "shop", "legacy", "linked")
	before := h.files(t)
	r := run(t, b, op("fpm.pool.edit", "shop", "max-children", "2"))
	wantStatus(t, "edit shop", r, ops.StatusInvalid, "defined twice", h.shared+" line 2", twice+" line 1")
	r = run(t, b, op("fpm.pool.delete", "shop"))
	wantStatus(t, "delete shop", r, ops.StatusInvalid, "defined twice")
	r = run(t, b, op("fpm.pool.edit", "legacy", "max-children", "2"))
	wantStatus(t, "edit legacy", r, ops.StatusInvalid, legacy, "line 2")
	r = run(t, b, op("fpm.pool.edit", "linked", "max-children", "2"))
	wantStatus(t, "edit linked", r, ops.StatusInvalid, "symbolic link")
	q.check(t, h.f)
	h.same(t, before)

	// List, show and status still work.
	r = run(t, b, op("fpm.pool.list", ""))
	wantStatus(t, "list", r, ops.StatusOK, "Defined twice (php-fpm merges them; poolvisor does not edit it): shop in "+h.shared+" line 2 and "+twice+" line 1")
	r = run(t, b, op("fpm.pool.show", "shop"))
	wantStatus(t, "show shop", r, ops.StatusOK, "defined twice")
	if d := r.data.(ops.PoolShow).Pool.Directives; d["pm.max_requests"] != "500" || d["pm"] != "static" {
		t.Errorf("show shop merges as php-fpm does: %v", d)
	}
	r = run(t, b, op("fpm.pool.show", "legacy"))
	wantStatus(t, "show legacy", r, ops.StatusOK, "line 2")
	r = run(t, b, op("fpm.service.status", ""))
	wantStatus(t, "status", r, ops.StatusOK, "legacy")

	want := []string{
		h.f.MainConfig + ": it is php-fpm's main config, which poolvisor writes only when allowed to (phpfpm EditMainConfig)",
		h.shared + ": pool shop is defined twice (" + h.shared + " line 2 and " + twice + " line 1)",
		legacy + ": poolvisor cannot write it back exactly: line 2: section header \"[\\\"legacy\\\"]\" is not one poolvisor reads",
		link + ": it is a symbolic link (to " + target + "); poolvisor does not write through links",
		twice + ": pool shop is defined twice (" + h.shared + " line 2 and " + twice + " line 1)",
	}
	if got := b.Uneditable(); !slices.Equal(got, want) {
		t.Errorf("Uneditable:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
