package supervisor

// This file decides which files poolvisor may write (supervisor.writable,
// supervisor.edit_main_config).
//
// A file is judged by its real path: its directories' symbolic links are
// resolved, and a file that is itself a symbolic link is refused, since
// replacing it (poolvisor writes by rename) would replace the link, not
// the file it points to, and a link is the way a file outside the writable
// globs would be reached through a name inside them. A glob matches the
// real path, or the real path of the glob's own directory joined with its
// last element (so /etc/supervisor/conf.d/*.conf still matches when
// /etc/supervisor is a link).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// writableGlobs returns supervisor.writable, or supervisord's include globs
// when it is empty.
func (b *Backend) writableGlobs() []string {
	if len(b.cfg.Writable) > 0 {
		return b.cfg.Writable
	}
	g, _ := includePatterns(b.cfg.ConfigFile, b.includeEnv)
	return g
}

// realPath resolves path's symbolic links; a file not there yet is
// resolved through its directory.
func realPath(path string) (string, error) {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}

// fileRefusal returns why poolvisor may not write path, or "".
func (b *Backend) fileRefusal(path string) string {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return fmt.Sprintf("%s is a symbolic link; poolvisor writes only regular files (edit the file it points to by hand, or replace the link by the file)", path)
	} else if err == nil && !st.Mode().IsRegular() {
		return fmt.Sprintf("%s is not a regular file", path)
	}
	real, err := realPath(path)
	if err != nil {
		return fmt.Sprintf("%s cannot be resolved: %v", path, err)
	}
	if main, err := realPath(b.cfg.ConfigFile); err == nil && main == real {
		if b.cfg.EditMainConfig {
			return ""
		}
		return fmt.Sprintf("%s is supervisord's main config, which poolvisor edits only with supervisor.edit_main_config: true", path)
	}
	for _, g := range b.writableGlobs() {
		if globMatches(g, real) {
			return ""
		}
	}
	src := "supervisor.writable"
	if len(b.cfg.Writable) == 0 {
		src += " (by default supervisord's [include] files)"
	}
	return fmt.Sprintf("%s is outside %s: %s", path, src, strings.Join(b.writableGlobs(), " "))
}

func globMatches(glob, real string) bool {
	if daemonglob.Match(daemonglob.Python, glob, real) {
		return true
	}
	dir := filepath.Dir(glob)
	if strings.ContainsAny(dir, `*?[\`) {
		return false
	}
	rdir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	return daemonglob.Match(daemonglob.Python, filepath.Join(rdir, filepath.Base(glob)), real)
}

// newProgramPath is the file a new program gets: its own, in program_dir,
// with the extension the include glob over program_dir expects (*.ini on
// RHEL's /etc/supervisord.d), .conf otherwise.
func (b *Backend) newProgramPath(name string) string {
	ext := ".conf"
	dir := filepath.Clean(b.cfg.ProgramDir)
	if patterns, err := includePatterns(b.cfg.ConfigFile, b.includeEnv); err == nil {
		for _, p := range patterns {
			if filepath.Dir(p) != dir {
				continue
			}
			if e := filepath.Ext(p); e != "" && !strings.ContainsAny(e, `*?[\`) {
				if daemonglob.Match(daemonglob.Python, filepath.Base(p), name+e) {
					ext = e
					break
				}
			}
		}
	}
	return filepath.Join(dir, name+ext)
}

// Uneditable returns one line per program poolvisor shows and controls
// but cannot edit, "PATH: why" (outside supervisor.writable, in the main
// config without supervisor.edit_main_config, defined twice, a file it
// cannot read exactly), sorted. It reads the files supervisord includes and
// nothing else, so check-config may call it on every run.
func (b *Backend) Uneditable(ctx context.Context) []string {
	files, err := b.readConf()
	if err != nil {
		_, msg := ops.UserError(err)
		return []string{fmt.Sprintf("%s: %s", b.cfg.ConfigFile, msg)}
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		for _, name := range programNames(f.data) {
			if seen[name] {
				continue
			}
			seen[name] = true
			loc := locateIn(files, name)
			if loc.path == "" {
				continue
			}
			if why := b.uneditable(loc); why != "" {
				if rest, ok := strings.CutPrefix(why, loc.path+" "); ok {
					why = "the file " + rest
				}
				out = append(out, fmt.Sprintf("%s: program %s: %s", loc.path, name, why))
			}
		}
	}
	sort.Strings(out)
	return out
}

// programNames lists the [program:x] names data declares.
func programNames(data []byte) []string {
	var out []string
	for _, raw := range progSplitLines(string(data)) {
		v := progPyStrip(raw)
		if !strings.HasPrefix(v, "[program:") {
			continue
		}
		if j := strings.LastIndexByte(v, ']'); j > len("[program:") {
			out = append(out, progPyStrip(v[len("[program:"):j]))
		}
	}
	return out
}
