package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// maxIncludeDepth bounds includes within included files; php-fpm has no
// bound of its own, so a loop would only end when it runs out of files.
const maxIncludeDepth = 8

// confSource is one file php-fpm reads, as read at one moment.
type confSource struct {
	path string
	data []byte
	conf *confFile // read loosely when it cannot be read exactly
	bad  string    // why poolvisor cannot write it back exactly ("line 3: ..."); "" when it can
	main bool      // php-fpm's main config
}

// loadFiles reads the main config and every file it includes, in the order
// php-fpm reads them: an include line loads the files its glob matches, in
// the sorted order of glob(3), at the point where it stands, and so do
// include lines of included files. overlay holds files as a change would
// leave them (nil: removed); they replace or join what is on disk.
func loadFiles(mainPath string, overlay map[string][]byte) (*loader, error) {
	l := &loader{overlay: overlay, seen: map[string]bool{}, twice: map[string]bool{}}
	data, err := l.read(mainPath)
	if err != nil {
		return nil, err
	}
	l.add(mainPath, data, true, 0)
	return l, nil
}

type loader struct {
	overlay  map[string][]byte
	seen     map[string]bool
	twice    map[string]bool // files read more than once
	files    []*confSource
	problems []string
	headers  []header // every section header, in the order php-fpm reads them
}

// header is the section header at line index line of file.
type header struct {
	file *confSource
	line int
}

func (l *loader) read(path string) ([]byte, error) {
	if data, ok := l.overlay[path]; ok {
		if data == nil {
			return nil, os.ErrNotExist
		}
		return data, nil
	}
	return os.ReadFile(path)
}

func (l *loader) add(path string, data []byte, main bool, depth int) {
	l.seen[path] = true
	f := &confSource{path: path, data: data, main: main}
	conf, err := parseConf(data)
	switch {
	case !utf8.Valid(data):
		f.bad = "it is not valid UTF-8 text"
		conf, _ = parseConfLoose(data)
	case err != nil:
		f.bad = err.Error()
		conf, _ = parseConfLoose(data)
	}
	f.conf = conf
	l.files = append(l.files, f)
	for i, line := range conf.lines {
		if line.kind == lineSection {
			l.headers = append(l.headers, header{f, i})
		}
		if line.kind != lineDirective || line.key != "include" {
			continue
		}
		glob := resolve(line.value, installPrefix)
		if depth >= maxIncludeDepth {
			l.problems = append(l.problems, fmt.Sprintf("%s: includes nested deeper than %d are not read (%s)", path, maxIncludeDepth, glob))
			continue
		}
		for _, m := range l.expand(glob) {
			if l.seen[m] {
				// php-fpm reads it again, and its pools twice.
				l.twice[m] = true
				l.problems = append(l.problems, fmt.Sprintf("%s: it is included twice (%s includes it again)", m, path))
			}
			data, err := l.read(m)
			if err != nil {
				l.problems = append(l.problems, fmt.Sprintf("%s: cannot be read: %v", m, err))
				continue
			}
			l.add(m, data, false, depth+1)
		}
	}
}

// expand returns the files glob matches, as php-fpm's glob(3) call does:
// sorted, directories left out; with the overlay's files added or taken
// away.
func (l *loader) expand(glob string) []string {
	matches := daemonglob.Glob(daemonglob.C, glob)
	for p, data := range l.overlay {
		if daemonglob.Match(daemonglob.C, glob, p) && data != nil && !slices.Contains(matches, p) {
			matches = append(matches, p)
		}
	}
	slices.Sort(matches)
	out := matches[:0]
	for _, m := range matches {
		if data, ok := l.overlay[m]; ok {
			if data != nil {
				out = append(out, m)
			}
			continue
		}
		if st, err := os.Stat(m); err == nil && !st.IsDir() {
			out = append(out, m)
		}
	}
	return out
}

// literalRoot returns the part of glob before its first path element with
// a wildcard.
func literalRoot(glob string) string {
	dir := filepath.Dir(glob)
	for strings.ContainsAny(dir, `*?[\`) {
		dir = filepath.Dir(dir)
	}
	return dir
}

// writable says why poolvisor may not write path, or "" when it may: the
// main config only with EditMainConfig; any other file only when one of the
// main config's include globs matches it and it is reached without
// symbolic links below the glob's literal directory (an include of
// /etc/php/8.2/fpm/pool.d/*.conf lets poolvisor write regular files in that
// directory, never through a link to elsewhere).
func (b *Backend) writable(path string, includes []string) string {
	if path == b.cfg.MainConfig {
		if !b.cfg.EditMainConfig {
			return "it is php-fpm's main config, which poolvisor writes only when allowed to (phpfpm EditMainConfig)"
		}
		return regularFile(path)
	}
	for _, g := range includes {
		if !daemonglob.Match(daemonglob.C, g, path) {
			continue
		}
		root := literalRoot(g)
		realRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			return fmt.Sprintf("its directory cannot be resolved: %v", err)
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return "it lies outside the directories php-fpm.conf includes pool files from"
		}
		realDir, err := filepath.EvalSymlinks(filepath.Dir(path))
		if err == nil && realDir != filepath.Join(realRoot, rel) {
			return fmt.Sprintf("its directory is reached through a symbolic link (to %s)", realDir)
		}
		return regularFile(path)
	}
	return "it lies outside the directories php-fpm.conf includes pool files from, so poolvisor does not write it"
}

// regularFile says why path is not a regular file poolvisor may replace,
// or "" (also for a file that does not exist yet).
func regularFile(path string) string {
	st, err := os.Lstat(path)
	switch {
	case os.IsNotExist(err):
		return ""
	case err != nil:
		return fmt.Sprintf("it cannot be examined: %v", err)
	case st.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return fmt.Sprintf("it is a symbolic link (to %s); poolvisor does not write through links", target)
	case !st.Mode().IsRegular():
		return "it is not a regular file"
	}
	return ""
}
