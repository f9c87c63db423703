package phpfpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestPoolFileSetFixtures reads testdata/edit/*.txt: a pool file, a line
// "----- set" and KEY=VALUE lines (\n, \r and \0 stand for those bytes),
// then "----- want" and the file after the edits, or "----- error" and part
// of the error, which must leave the file as it was.
func TestPoolFileSetFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/edit/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	unescape := strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\0`, "\x00")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, rest, _ := strings.Cut(string(data), "----- set\n")
			sets, want, wantOK := strings.Cut(rest, "----- want\n")
			if !wantOK {
				sets, want, _ = strings.Cut(rest, "----- error\n")
			}
			conf, err := parseConf([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			pf, err := ParsePoolFile(conf.sections()[0], []byte(input))
			if err != nil {
				t.Fatal(err)
			}
			var setErr error
			for _, line := range strings.Split(strings.TrimSuffix(sets, "\n"), "\n") {
				k, v, _ := strings.Cut(line, "=")
				if setErr = pf.Set(k, unescape.Replace(v)); setErr != nil {
					break
				}
			}
			if !wantOK {
				var ue *ops.Error
				if setErr == nil || !errors.As(setErr, &ue) || !strings.Contains(setErr.Error(), strings.TrimSpace(want)) {
					t.Fatalf("err = %v, want a user error mentioning %q", setErr, strings.TrimSpace(want))
				}
				if string(pf.Bytes()) != input {
					t.Errorf("a refused Set changed the file:\n%s", pf.Bytes())
				}
				return
			}
			if setErr != nil {
				t.Fatal(setErr)
			}
			if got := string(pf.Bytes()); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPoolFileEdgeCases(t *testing.T) {
	t.Run("no final newline", func(t *testing.T) {
		pf, err := ParsePoolFile("a", []byte("[a]\nuser = nobody"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pf.Set("group", "nogroup"); err != nil {
			t.Fatal(err)
		}
		if got := string(pf.Bytes()); got != "[a]\nuser = nobody\ngroup = nogroup\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("crlf file keeps its line ends", func(t *testing.T) {
		pf, err := ParsePoolFile("a", []byte("[a]\r\nuser = nobody ; me\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pf.Set("user", "www-data"); err != nil {
			t.Fatal(err)
		}
		if got := string(pf.Bytes()); got != "[a]\r\nuser = www-data ; me\r\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("new file", func(t *testing.T) {
		pf := NewPoolFile("api")
		if err := pf.Set("pm", "static"); err != nil {
			t.Fatal(err)
		}
		again, err := ParsePoolFile("api", pf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := again.Get("pm"); v != "static" {
			t.Errorf("pm = %q", v)
		}
	})
	for _, tt := range []struct{ name, data, want string }{
		{"other section", "[b]\nuser = x\n", "must hold exactly the section [a]"},
		{"two sections", "[a]\n[b]\n", "must hold exactly"},
		{"directive before the header", "user = x\n[a]\n", "before its [a] header"},
		{"not utf-8", "[a]\n; \xff\n", "UTF-8"},
		{"syntax", "[a]\nuser\n", "cannot be read: line 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePoolFile("a", []byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
