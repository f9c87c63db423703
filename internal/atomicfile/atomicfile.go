// Package atomicfile replaces files so that a reader (a daemon rereading its
// config, a crash in the middle) sees either the old bytes or the new ones,
// never a mix.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// TempSuffix ends the name of every temporary file. It matches no daemon's
// include glob (*.conf), so a half-written file is never read as config.
const TempSuffix = ".poolvisor-tmp"

// PrivateMode is the mode of a new file that may hold secrets (a program's
// environment=, a pool's env[...]): its owner's alone.
const PrivateMode os.FileMode = 0o600

// WriteFile writes data to path: a temporary file in the same directory is
// written, synced and closed, then renamed over path, and the directory is
// synced. On any error the temporary file is removed and path is untouched.
// perm applies when path does not exist yet; an existing file keeps its
// mode and its owner and group (root:adm 0640 stays root:adm 0640).
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	uid, gid := -1, -1
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(sys.Uid), int(sys.Gid)
		}
	}
	f, err := os.CreateTemp(dir, "."+base+".*"+TempSuffix)
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if uid >= 0 {
		if st, serr := f.Stat(); serr == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && (int(sys.Uid) != uid || int(sys.Gid) != gid) {
				if err = f.Chown(uid, gid); err != nil {
					return fmt.Errorf("keep the owner of %s: %w", path, err)
				}
			}
		}
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(dir)
}

// Leftovers returns the temporary files that WriteFile calls on path left
// behind because their process died before renaming them (a kill -9 in the
// middle of a write): each holds a copy of what was being written.
func Leftovers(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+".*"+TempSuffix))
	return matches
}

func escapeGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}

// Remove removes path and syncs its directory, so the removal survives a crash.
func Remove(path string) error {
	if err := os.Remove(path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
