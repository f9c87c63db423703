package phpfpm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestLoadOrder: pools are found where php-fpm reads them, in its order:
// an include loads its files where it stands, nested includes too, and a
// file included twice defines its pools twice.
func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) string {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	main := write("php-fpm.conf", "[global]\ninclude = "+dir+"/a/*.conf\n[first]\nlisten = x\ninclude = "+dir+"/b/*.conf\n[last]\nlisten = y\n")
	write("a/2.conf", "[a2]\n")
	write("a/1.conf", "[a1] ; comment\ninclude = "+dir+"/nested/n.conf\n[a1b]\n")
	write("a/dir.conf/x.conf", "[never]\n") // a directory the glob matches is skipped
	write("nested/n.conf", "[nested]\n")
	write("b/b.conf", "[b]\n")
	write("b/z.txt", "[notincluded]\n")
	// php-fpm's glob(3) skips names that start with a dot: a panel's or an
	// editor's backup is not read (Go's filepath.Glob would list it first).
	write("a/.0-backup.conf", "[hiddenbackup]\n")
	b, err := New(Config{Host: "t", Version: "8.2", Binary: "/usr/sbin/php-fpm8.2", MainConfig: main, PoolDir: filepath.Join(dir, "a"),
		SocketDir: dir, DefaultUser: "u", DefaultGroup: "g", Service: ServiceConfig{Mode: "command", ReloadCommand: "true"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.scanPools()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range d.pools {
		got = append(got, p.name)
	}
	if want := []string{"a1", "nested", "a1b", "a2", "first", "b", "last"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if e, _ := d.find("nested", "t"); !strings.Contains(e.why, "outside the directories") {
		t.Errorf("a nested include outside the main config's include dirs: why = %q", e.why)
	}

	// [!_] negates a set for glob(3) (Go's glob reads ! as a character).
	write("c/_off.conf", "[disabled]\n")
	write("c/on.conf", "[enabled]\n")
	cmain := write("c.conf", "[global]\ninclude = "+dir+"/c/[!_]*.conf\n")
	cb, err := New(Config{Host: "t", Version: "8.2", Binary: "/usr/sbin/php-fpm8.2", MainConfig: cmain, PoolDir: filepath.Join(dir, "c"),
		SocketDir: dir, DefaultUser: "u", DefaultGroup: "g", Service: ServiceConfig{Mode: "command", ReloadCommand: "true"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cd, err := cb.scanPools()
	if err != nil {
		t.Fatal(err)
	}
	if len(cd.pools) != 1 || cd.pools[0].name != "enabled" {
		t.Errorf("include [!_]*.conf: pools %v, want [enabled]", cd.pools)
	}

	// Twice in one file: shown merged, as php-fpm reads it, not edited.
	dup := write("b/b.conf", "[b]\npm = static\n\n[b]\npm = dynamic\n")
	r := run(t, b, op("fpm.pool.show", "b"))
	if r.status != "ok" || r.data.(ops.PoolShow).Pool.Directives["pm"] != "dynamic" || !strings.Contains(r.msg, dup+" line 1 and "+dup+" line 4") {
		t.Errorf("show b: %s %s", r.status, r.msg)
	}
	if r := run(t, b, op("fpm.pool.edit", "b", "pm", "static")); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "defined twice") {
		t.Errorf("edit b: %s %s", r.status, r.msg)
	}

	// Included twice: php-fpm reads its pools twice.
	write("php-fpm.conf", "[global]\ninclude = "+dir+"/b/*.conf\ninclude = "+dir+"/b/b.conf\n")
	if got := b.Uneditable(); !slices.Contains(got, filepath.Join(dir, "b/b.conf")+": php-fpm includes it more than once, so its pools are defined twice") {
		t.Errorf("Uneditable = %q", got)
	}
}
