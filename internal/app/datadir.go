package app

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// secureDataDir makes data_dir its owner's alone before anything is kept
// in it: approvals, the audit, and file versions that hold secrets
// (environment=, env[...]). systemd's StateDirectory= and a hand-made
// mkdir leave it 0755; it is tightened to 0700 and everything in it to
// 0600 (directories 0700). A data_dir that belongs to another user is
// refused: they could read or swap what poolvisor keeps there.
func secureDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("data_dir %s belongs to uid %d, not to the user poolvisor runs as (uid %d): it holds approvals, the audit and versions of files with secrets, so poolvisor keeps them only in a directory of its own (chown it, or choose another data_dir)",
			dir, sys.Uid, os.Geteuid())
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // a link's own mode means nothing
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := info.Mode().Perm() &^ 0o077
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() == want {
			return nil
		}
		if err := os.Chmod(path, want); err != nil {
			return fmt.Errorf("tighten %s: %w", path, err)
		}
		log.Info("data_dir: made private", "path", path, "was", fmt.Sprintf("%04o", info.Mode().Perm()), "now", fmt.Sprintf("%04o", want))
		return nil
	})
}
