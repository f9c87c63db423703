package supervisor

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files are judged by their real path: a link to a file is refused, a
// directory reached through a link is judged where it really is.
func TestFileRefusal(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	for _, d := range []string{"supervisord.d", "real"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "supervisord.conf")
	writeFile(t, main, []byte("[supervisord]\n[include]\nfiles = supervisord.d/*.ini %(here)s/linked/*.conf ; two globs\n"))
	ini := filepath.Join(dir, "supervisord.d", "a.ini")
	writeFile(t, ini, []byte("[program:a]\ncommand=/bin/true\n"))
	viaLink := filepath.Join(dir, "linked", "x.conf")
	writeFile(t, viaLink, []byte("[program:x]\ncommand=/bin/true\n"))
	outside := filepath.Join(t.TempDir(), "o.ini")
	writeFile(t, outside, []byte("[program:o]\ncommand=/bin/true\n"))
	link := filepath.Join(dir, "supervisord.d", "o.ini")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{URL: "unix:///nonexistent.sock", ConfigFile: main, ProgramDir: filepath.Join(dir, "supervisord.d")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	check := func(path, want string) {
		t.Helper()
		got := b.fileRefusal(path)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	check(ini, "")
	check(viaLink, "")
	check(link, "symbolic link")
	check(main, "supervisor.edit_main_config")
	check(filepath.Join(dir, "supervisord.d", "new.ini"), "")
	check(filepath.Join(dir, "elsewhere.conf"), "outside supervisor.writable (by default supervisord's [include] files)")
	if got := b.newProgramPath("fresh"); got != filepath.Join(dir, "supervisord.d", "fresh.ini") {
		t.Errorf("new program file %s", got)
	}

	b.cfg.EditMainConfig = true
	check(main, "")
	b.cfg.Writable = []string{filepath.Join(real, "*.conf")}
	check(viaLink, "")
	check(ini, "outside supervisor.writable: "+filepath.Join(real, "*.conf"))

	b.cfg.ProgramDir = real
	if got := b.newProgramPath("fresh"); got != filepath.Join(real, "fresh.conf") {
		t.Errorf("new program file %s", got)
	}
}
