package daemonglob

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The expected answers are what Python 3's glob.glob (supervisord) and
// glibc's glob(3) (php-fpm) give on the same tree; each row says where Go's
// filepath.Glob differs.
func TestGlob(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{
		"conf.d/a.conf", "conf.d/b.conf", "conf.d/.old.conf", "conf.d/_off.conf",
		"conf.d/!x.conf", "conf.d/^y.conf", "conf.d/[z].conf", `conf.d/back\slash.conf`,
		"conf.d/sub/c.conf", "conf.d/.hid/d.conf", "conf.d/é.conf",
	} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "conf.d", "sub"), filepath.Join(root, "conf.d", "link")); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(root, "conf.d")
	names := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			rel, _ := filepath.Rel(d, p)
			out = append(out, rel)
		}
		return out
	}
	for _, tt := range []struct {
		pattern string
		py, c   []string
	}{
		// Go's glob adds .old.conf.
		{"*.conf", []string{"!x.conf", "[z].conf", "^y.conf", "_off.conf", "a.conf", "b.conf", `back\slash.conf`, "é.conf"},
			[]string{"!x.conf", "[z].conf", "^y.conf", "_off.conf", "a.conf", "b.conf", `back\slash.conf`, "é.conf"}},
		{".*.conf", []string{".old.conf"}, []string{".old.conf"}},
		// Go's glob takes [!_] as a set of ! and _.
		{"[!_]*.conf", []string{"!x.conf", "[z].conf", "^y.conf", "a.conf", "b.conf", `back\slash.conf`, "é.conf"},
			[]string{"!x.conf", "[z].conf", "^y.conf", "a.conf", "b.conf", `back\slash.conf`, "é.conf"}},
		// Python: a set of ^ and _; glibc: negation, as Go.
		{"[^_]*.conf", []string{"^y.conf", "_off.conf"},
			[]string{"!x.conf", "[z].conf", "^y.conf", "a.conf", "b.conf", `back\slash.conf`, "é.conf"}},
		// A backslash: ordinary in Python, a quote in glob(3).
		{`back\slash.conf`, []string{`back\slash.conf`}, nil},
		{`\[z].conf`, nil, []string{"[z].conf"}},
		{"[[]z].conf", []string{"[z].conf"}, []string{"[z].conf"}},
		// glob(3) in the C locale: ? is one byte, é two.
		{"?.conf", []string{"a.conf", "b.conf", "é.conf"}, []string{"a.conf", "b.conf"}},
		{"[a-b].conf", []string{"a.conf", "b.conf"}, []string{"a.conf", "b.conf"}},
		// Directories: links followed, hidden ones only by a dot.
		{"*/*.conf", []string{"link/c.conf", "sub/c.conf"}, []string{"link/c.conf", "sub/c.conf"}},
		// glob(3) would also read ./*.conf here (it lists . and ..): not
		// modelled, nobody writes it.
		{".*/*.conf", []string{".hid/d.conf"}, []string{".hid/d.conf"}},
		{"[.]old.conf", nil, nil},
		{"nope/*.conf", nil, nil},
	} {
		for _, dd := range []struct {
			name string
			d    Dialect
			want []string
		}{{"python", Python, tt.py}, {"glob(3)", C, tt.c}} {
			got := names(Glob(dd.d, filepath.Join(d, tt.pattern)))
			if !slices.Equal(got, dd.want) {
				t.Errorf("%s %q: got %q, want %q", dd.name, tt.pattern, got, dd.want)
			}
			for _, w := range dd.want {
				if !Match(dd.d, filepath.Join(d, tt.pattern), filepath.Join(d, w)) {
					t.Errorf("%s Match(%q, %q) = false, Glob found it", dd.name, tt.pattern, w)
				}
			}
		}
	}
	if Match(Python, d+"/*.conf", d+"/.old.conf") || Match(C, d+"/*.conf", d+"/.old.conf") {
		t.Error("Match: * matched a hidden file")
	}
	if Match(Python, d+"/*.conf", d+"/sub/c.conf") {
		t.Error("Match: * crossed a slash")
	}
	if !HasMagic(Python, d+"/*.conf") || HasMagic(C, `/etc/\*.conf`) || !HasMagic(Python, `/etc/\*.conf`) {
		t.Error("HasMagic")
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"*.conf", "[!a]*", "[^a]?", `\[x]`, "[", "[]]", "[a-", "**"} {
		f.Add(s, "a.conf")
	}
	f.Fuzz(func(t *testing.T, pat, name string) {
		match(Python, pat, name)
		match(C, pat, name)
	})
}
