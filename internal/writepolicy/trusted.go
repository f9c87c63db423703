package writepolicy

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CheckTrusted refuses a file that root is to run, or read secrets from,
// unless nobody but root can change it: the file and every directory on
// its path belong to root (or to uid, the user poolvisor runs as) and are
// writable by nobody else. A world-writable directory is allowed only
// with the sticky bit (/tmp), where others cannot replace root's entries.
func CheckTrusted(path string, uid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// A link on the way is as good as whoever owns it: its owner could
	// point it elsewhere where the directory lets them.
	for p := abs; p != "/"; p = filepath.Dir(p) {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			continue
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != 0 && int(sys.Uid) != uid {
			return fmt.Errorf("%s is a link owned by uid %d, who could point it elsewhere", p, sys.Uid)
		}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return err
	}
	for p := real; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: cannot read its owner", p)
		}
		if owner := int(sys.Uid); owner != 0 && owner != uid {
			return fmt.Errorf("%s belongs to uid %d, who could replace %s", p, owner, real)
		}
		mode := st.Mode()
		sticky := st.IsDir() && mode&os.ModeSticky != 0 && p != real
		if mode.Perm()&0o022 != 0 && !sticky {
			return fmt.Errorf("%s is writable by its group or by others (mode %04o), who could replace %s", p, mode.Perm(), real)
		}
		if p == "/" {
			return nil
		}
	}
}
