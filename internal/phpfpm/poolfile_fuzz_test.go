package phpfpm

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// fuzzBase is a hand-written pool file for the fuzzers to edit.
const fuzzBase = "; written by hand\n[fz]\nuser = www-data ; who\n  pm=dynamic\nphp_value[x] = 'a;b'\n" +
	"env[A] = \"q\\\"uote\"\n\n; end\n"

// FuzzPoolFileSet: any key and value is either refused with a user-facing
// error, leaving the file as it was, or written to a file that reads back as
// exactly one [fz] section in which key has exactly the given value and
// every other directive is unchanged.
func FuzzPoolFileSet(f *testing.F) {
	seeds := [][2]string{{"pm", "static"}, {"user", "nobody\nuser = root"}, {"user", "a\rb"}, {"user", "a\x00b"},
		{"[global]", "x"}, {"php_value[error_log]", "/tmp/a;b"}, {"env[X]", `"q" ; ${HOME} $pool \`},
		{"php_value[a]b]", "x"}, {"pm.max_children", "E_ALL"}, {"listen", "yes"}, {"user", " lead trail "},
		{"user", "é"}, {"user", "\xff"}, {"pm", ""}, {"x y", "1"}, {"user", `C:\dir\`}, {"user", `"`}}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, base := range []string{"", fuzzBase} {
			pf := NewPoolFile("fz")
			if base != "" {
				var err error
				if pf, err = ParsePoolFile("fz", []byte(base)); err != nil {
					t.Fatal(err)
				}
			}
			before, beforeDirs := pf.Bytes(), pf.Directives()
			if err := pf.Set(key, value); err != nil {
				var ue *ops.Error
				if !errors.As(err, &ue) || ue.Status != ops.StatusInvalid {
					t.Fatalf("Set(%q, %q): %v is not a user-facing error", key, value, err)
				}
				if !bytes.Equal(pf.Bytes(), before) {
					t.Fatalf("Set(%q, %q) failed but changed the file", key, value)
				}
				continue
			}
			again, err := ParsePoolFile("fz", pf.Bytes())
			if err != nil {
				t.Fatalf("Set(%q, %q) wrote a file that does not read back: %v\n%s", key, value, err, pf.Bytes())
			}
			after := again.Directives()
			if got, ok := after[key]; !ok || got != value {
				t.Fatalf("Set(%q, %q) reads back as %q\n%s", key, value, got, pf.Bytes())
			}
			delete(after, key)
			delete(beforeDirs, key)
			if !maps.Equal(after, beforeDirs) {
				t.Fatalf("Set(%q, %q) changed other directives: %q -> %q", key, value, beforeDirs, after)
			}
		}
	})
}

// FuzzParseConf: any text either fails to parse or writes back byte for
// byte.
func FuzzParseConf(f *testing.F) {
	for _, s := range []string{fuzzBase, "[a]\r\nx = \"y\"\r\n", "[a]\nx = 'y' \"z\" ; c", "[a]\nx = \"C:\\\"\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		c, err := parseConf([]byte(data))
		if err != nil {
			return
		}
		if string(c.bytes()) != data {
			t.Fatalf("bytes() changed an untouched file")
		}
	})
}

// fuzzShared is a hand-written file with [global] and two pools.
const fuzzShared = "; shared\n[global]\npid = /run/x.pid\n\n[fz] ; first\nuser = www-data ; who\n  pm=dynamic\n\n" +
	"; the other one\n[other]\npm = static\nphp_value[x] = 'a;b'"

// FuzzSharedSet: Set on a pool that shares its file either refuses, leaving
// the file as it was, or changes nothing outside the pool's own lines, and
// the other sections read back as they were.
func FuzzSharedSet(f *testing.F) {
	for _, s := range [][2]string{{"pm", "static"}, {"user", "nobody\n[other]"}, {"[global]", "x"}, {"listen", "/tmp/a;b"}, {"new.key", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		conf, err := parseConf([]byte(fuzzShared))
		if err != nil {
			t.Fatal(err)
		}
		pf := &PoolFile{name: "fz", conf: conf}
		from, to, _ := conf.span("fz")
		head := string((&confFile{lines: conf.lines[:from]}).bytes())
		tail := string((&confFile{lines: conf.lines[to:]}).bytes())
		global, other := conf.directives("global"), conf.directives("other")
		if err := pf.Set(key, value); err != nil {
			if string(pf.Bytes()) != fuzzShared {
				t.Fatalf("Set(%q, %q) failed but changed the file", key, value)
			}
			return
		}
		got := string(pf.Bytes())
		if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, tail) {
			t.Fatalf("Set(%q, %q) changed lines outside the pool's own:\n%s", key, value, got)
		}
		again, err := parseConf(pf.Bytes())
		if err != nil {
			t.Fatalf("Set(%q, %q) wrote a file that does not read back: %v", key, value, err)
		}
		if !maps.Equal(again.directives("global"), global) || !maps.Equal(again.directives("other"), other) ||
			again.directives("fz")[key] != value || !slices.Equal(again.sections(), []string{"global", "fz", "other"}) {
			t.Fatalf("Set(%q, %q) changed what php-fpm reads elsewhere:\n%s", key, value, got)
		}
	})
}
