package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.conf")
	if err := WriteFile(path, []byte("one\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("new file mode %v", st.Mode().Perm())
	}
	os.Chmod(path, 0o600)
	if err := WriteFile(path, []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "two\n" {
		t.Errorf("content %q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("existing file lost its mode: %v", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "web.conf") // the directory does not exist
	if err := WriteFile(path, []byte("x"), 0o644); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestTempNameMissesIncludeGlob(t *testing.T) {
	if m, _ := filepath.Match("*.conf", ".web.conf.123"+TempSuffix); m {
		t.Error("temporary name matches *.conf")
	}
}

func TestLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web[1].conf")
	for _, name := range []string{".web[1].conf.123" + TempSuffix, ".other.conf.9" + TempSuffix, "web[1].conf"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := Leftovers(path)
	if len(got) != 1 || got[0] != filepath.Join(dir, ".web[1].conf.123"+TempSuffix) {
		t.Errorf("Leftovers = %v", got)
	}
}

// TestWriteFileKeepsOwnerAndMode: an edit keeps a config file's owner,
// group and mode (a hand-made root:adm 0640 file stays so); a new file
// gets the mode asked for.
func TestWriteFileKeepsOwnerAndMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "app.conf")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 4); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new\n"), PrivateMode); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != 0o640 || sys.Uid != 65534 || sys.Gid != 4 {
		t.Errorf("after an edit: mode %04o owner %d:%d, want 0640 65534:4", st.Mode().Perm(), sys.Uid, sys.Gid)
	}
	fresh := filepath.Join(dir, "new.conf")
	if err := WriteFile(fresh, []byte("x\n"), PrivateMode); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o600 {
		t.Errorf("a new file: mode %04o, want 0600", st.Mode().Perm())
	}
}
