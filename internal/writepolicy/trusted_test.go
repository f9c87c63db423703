package writepolicy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckTrusted(t *testing.T) {
	t.Parallel()
	uid := os.Geteuid()
	dir := t.TempDir()
	bin := filepath.Join(dir, "poolvisor")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrusted(bin, uid); err != nil {
		t.Fatalf("a 0755 file in a private dir: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrusted(link, uid); err != nil {
		t.Errorf("through a link to a trusted file: %v", err)
	}

	if err := os.Chmod(bin, 0o757); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrusted(bin, uid); err == nil || !strings.Contains(err.Error(), "writable by its group or by others") {
		t.Errorf("a world-writable file: %v", err)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}

	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	inOpen := filepath.Join(open, "poolvisor")
	if err := os.WriteFile(inOpen, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrusted(inOpen, uid); err == nil || !strings.Contains(err.Error(), open) {
		t.Errorf("in a world-writable dir: %v", err)
	}
	if err := os.Chmod(open, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := CheckTrusted(inOpen, uid); err != nil {
		t.Errorf("in a sticky dir like /tmp: %v", err)
	}

	if uid == 0 {
		if err := os.Chown(bin, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := CheckTrusted(bin, uid); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
			t.Errorf("a file of nobody's: %v", err)
		}
	}
}
