package phpfpm

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The OPcache helper is a PHP script of poolvisor's that a pool runs for
// /fpm opcache: OPcache lives in the master's shared memory and only PHP
// running in a worker can read or reset it. The root daemon asks a pool,
// as the pool's own user, to run exactly this file, so what it must make
// sure of is that the file is this one: poolvisor writes it into a
// directory of its own (phpfpm.helper_dir) that only root can change, in a
// chain of directories only root can change, and checks owner, mode and
// bytes before each request, writing it again when anything differs. No
// request value reaches the path: the pool name only picks the socket.

// DefaultHelperDir is where the helper goes unless phpfpm.helper_dir says
// otherwise: a tmpfs directory of poolvisor's own, outside every web root,
// written again before each use, so a reboot loses nothing.
const DefaultHelperDir = "/run/poolvisor-fpm"

// helperName is the helper's file name; its extension is what pools'
// security.limit_extensions must allow.
const helperName = "poolvisor-opcache.php"

//go:embed opcache.php
var helperScript []byte

// helperDir returns the configured helper directory, cleaned.
func (b *Backend) helperDir() string {
	if b.cfg.HelperDir == "" {
		return DefaultHelperDir
	}
	return filepath.Clean(b.cfg.HelperDir)
}

// helperPath is where the helper is, and what SCRIPT_FILENAME names: in
// the helper directory, under its parent's real path, so the chain of
// directories installHelper checks is the one the worker opens.
func (b *Backend) helperPath() string {
	dir := b.helperDir()
	if parent, err := filepath.EvalSymlinks(filepath.Dir(dir)); err == nil {
		dir = filepath.Join(parent, filepath.Base(dir))
	}
	return filepath.Join(dir, helperName)
}

// installHelper makes sure the helper at path (helperPath) is poolvisor's
// own script, owned by this process's user, 0644, in a 0755 directory of
// its own. It creates or rewrites what is missing or wrong, and refuses a
// directory that someone else owns or could change.
func installHelper(path string) error {
	dir := filepath.Dir(path)
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%s is not an absolute path", dir)
	}
	uid := uint32(os.Geteuid())
	if err := trustedAncestors(filepath.Dir(dir), uid); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("inspect %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (%s)", dir, fi.Mode().Type())
	}
	if owner := ownerOf(fi); owner != uid {
		return fmt.Errorf("%s belongs to uid %d, not to poolvisor (uid %d): remove it or choose another phpfpm.helper_dir", dir, owner, uid)
	}
	if fi.Mode().Perm() != 0o755 || fi.Mode()&(fs.ModeSetgid|fs.ModeSticky) != 0 {
		if err := os.Chmod(dir, 0o755); err != nil {
			return fmt.Errorf("make %s 0755: %w", dir, err)
		}
	}
	if helperIntact(path, uid) {
		return nil
	}
	return writeHelper(dir, path)
}

// trustedAncestors checks that dir and every directory above it belong to
// root or to uid and that nobody else may rename what they hold: neither
// group nor others may write, unless the directory is sticky and root's
// (like /tmp), where only an entry's owner may rename it.
func trustedAncestors(dir string, uid uint32) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", d, err)
		}
		owner := ownerOf(fi)
		switch {
		case owner != 0 && owner != uid:
			return fmt.Errorf("%s belongs to uid %d: its owner could replace poolvisor's helper; choose a phpfpm.helper_dir whose parents are root's", d, owner)
		case fi.Mode().Perm()&0o022 != 0 && !(fi.Mode()&fs.ModeSticky != 0 && owner == 0):
			return fmt.Errorf("%s may be written by others (mode %v): they could replace poolvisor's helper; choose a phpfpm.helper_dir whose parents only root may change", d, fi.Mode().Perm())
		}
		if d == "/" {
			return nil
		}
	}
}

// helperIntact reports whether path is the helper as poolvisor writes it.
func helperIntact(path string, uid uint32) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 || fi.Mode()&^fs.ModePerm != 0 ||
		ownerOf(fi) != uid || fi.Size() != int64(len(helperScript)) {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Nlink != 1 {
		return false
	}
	data, err := os.ReadFile(path)
	return err == nil && bytes.Equal(data, helperScript)
}

// writeHelper writes the helper beside path and renames it over whatever is
// there, so a request never sees half a file.
func writeHelper(dir, path string) (err error) {
	f, err := os.CreateTemp(dir, ".helper-*")
	if err != nil {
		return fmt.Errorf("write the helper in %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(helperScript); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("install %s: %w", path, err)
	}
	return nil
}

func ownerOf(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return ^uint32(0)
}

// helperRefusal says why pool e cannot run the helper at script, or "".
// php-fpm would refuse or fail the request anyway; saying why here is
// clearer, and nothing is written for a request that cannot succeed.
func helperRefusal(e poolEntry, script string) string {
	if root := strings.TrimSpace(expandPool(e.directives["chroot"], e.name)); root != "" {
		return fmt.Sprintf("pool %s runs chrooted in %s, where poolvisor's script %s does not exist", e.name, root, script)
	}
	if v, ok := e.directives["security.limit_extensions"]; ok && strings.TrimSpace(v) != "" {
		if !containsField(strings.Fields(v), filepath.Ext(script)) {
			return fmt.Sprintf("pool %s's security.limit_extensions (%s) does not allow %s, the extension of poolvisor's script", e.name, strings.TrimSpace(v), filepath.Ext(script))
		}
	}
	for k, v := range e.directives {
		key := strings.ToLower(strings.ReplaceAll(k, " ", ""))
		if key != "php_admin_value[open_basedir]" && key != "php_value[open_basedir]" {
			continue
		}
		v = strings.Trim(strings.TrimSpace(expandPool(v, e.name)), `"'`)
		if v != "" && !inBasedir(v, script) {
			return fmt.Sprintf("pool %s's open_basedir (%s, from %s) does not include poolvisor's script %s; add %s to it", e.name, v, k, script, filepath.Dir(script))
		}
	}
	return ""
}

func containsField(fields []string, s string) bool {
	for _, f := range fields {
		if f == s {
			return true
		}
	}
	return false
}

// inBasedir reports whether open_basedir list v lets PHP open path: an
// entry allows the paths it is a prefix of (PHP compares strings; a
// trailing slash makes it a directory), and "." the script's own directory.
func inBasedir(v, path string) bool {
	for _, dir := range strings.Split(v, ":") {
		dir = strings.TrimSpace(dir)
		switch {
		case dir == ".":
			return true
		case filepath.IsAbs(dir) && strings.HasPrefix(path, dir):
			return true
		}
	}
	return false
}
