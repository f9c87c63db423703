// Package sandbox starts real daemons (supervisord and php-fpm) in temporary
// directories, for the tests of every package and for `make demo`.
//
// It deliberately imports no other poolvisor package: every package's tests
// import it, so it must stay at the bottom of the import graph.
package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxSocketPath is the longest Unix socket path used as is. sun_path holds
// 108 bytes on Linux and 104 on the BSDs, including the terminating NUL, so
// stay below both.
const maxSocketPath = 100

// socketPath returns where a daemon running in dir puts its socket file
// called name, and the short directory created for it when dir is too long
// (empty when the socket lives in dir). The short directory is derived from
// dir, so a daemon restarted in the same dir listens at the same path.
func socketPath(dir, name string) (path, shortDir string) {
	path = filepath.Join(dir, name)
	if len(path) <= maxSocketPath {
		return path, ""
	}
	sum := sha256.Sum256([]byte(dir))
	shortDir = filepath.Join(os.TempDir(), "poolvisor-"+hex.EncodeToString(sum[:6]))
	return filepath.Join(shortDir, name), shortDir
}

// absDir makes dir absolute and rejects characters that daemon config files
// cannot carry: supervisord splits [include] files on whitespace and expands
// % in paths.
func absDir(dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("sandbox dir is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve sandbox dir: %w", err)
	}
	if strings.ContainsAny(abs, " \t\n\r%") {
		return "", fmt.Errorf("sandbox dir %q contains whitespace or %%, which daemon config files cannot carry", abs)
	}
	return abs, nil
}

// tailFile returns the last n bytes of the file at path, for error messages.
func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot stat %s: %v)", path, err)
	}
	off := st.Size() - n
	if off < 0 {
		off = 0
	}
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	return strings.TrimSpace(string(buf))
}
