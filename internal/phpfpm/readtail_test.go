package phpfpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A link in a directory above the slow log is followed only when root (or
// poolvisor's own user) put it there: a pool's user who owns a directory
// on the way must not lead a root read to a file they cannot read.
func TestReadTailLinksAbove(t *testing.T) {
	root := t.TempDir()
	secretDir := filepath.Join(root, "secret")
	logs := filepath.Join(root, "logs")
	for _, d := range []string{secretDir, logs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const entry = "[05-Dec-2026 01:00:00]  [pool www] pid 1\nscript_filename = /SECRET\n"
	if err := os.WriteFile(filepath.Join(secretDir, "www.slow"), []byte(entry), 0o600); err != nil {
		t.Fatal(err)
	}

	// A link poolvisor's own user (root in CI) owns is a distribution's
	// (/var/run -> /run): followed.
	own := filepath.Join(logs, "own")
	if err := os.Symlink(secretDir, own); err != nil {
		t.Fatal(err)
	}
	data, _, err := readTail(filepath.Join(own, "www.slow"), 1<<20)
	if err != nil || !strings.Contains(string(data), "/SECRET") {
		t.Fatalf("a trusted link above the file: got %q, %v", data, err)
	}
	// .. after a link is taken from where the link leads, as the kernel does.
	if _, _, err := readTail(own+"/../secret/www.slow", 1<<20); err != nil {
		t.Fatalf("a path with .. after a trusted link: %v", err)
	}

	if os.Geteuid() != 0 {
		t.Skip("links owned by another user need root to make (run the tests as root, as CI does)")
	}
	theirs := filepath.Join(logs, "theirs")
	if err := os.Symlink(secretDir, theirs); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(theirs, "www.slow"),
		own + "/../logs/theirs/www.slow",
	} {
		data, _, err := readTail(p, 1<<20)
		if !errors.Is(err, errLink) {
			t.Errorf("%s: got %q, %v; want errLink", p, data, err)
		}
	}
}

// openNoLinks refuses a link anywhere in the path it is given, which is
// what keeps a directory swapped for a link after trustedPath looked from
// being followed.
func TestOpenNoLinks(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	f, err := openNoLinks(filepath.Join(real, "f"))
	if err != nil {
		t.Fatalf("no link: %v", err)
	}
	f.Close()
	if f, err := openNoLinks(filepath.Join(root, "link", "f")); err == nil {
		f.Close()
		if kernelHasOpenat2() {
			t.Fatal("opened through a link in a directory")
		}
	}
}

func kernelHasOpenat2() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC})
	if err == nil {
		unix.Close(fd)
	}
	return !errors.Is(err, unix.ENOSYS)
}

// A hard link is a second name someone made for a file: refused, since
// with fs.protected_hardlinks off a pool's user could link a file they
// cannot read into their log directory.
func TestReadTailHardLink(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("[05-Dec-2026 01:00:00]  [pool www] pid 1\nscript_filename = /SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(dir, "www.slow")); err != nil {
		t.Fatal(err)
	}
	if data, _, err := readTail(filepath.Join(dir, "www.slow"), 1<<20); !errors.Is(err, errHardLink) {
		t.Fatalf("read through a hard link: %q, %v", data, err)
	}
}
