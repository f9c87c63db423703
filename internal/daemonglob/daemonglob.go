// Package daemonglob expands and matches include patterns the way the
// daemons themselves do, which is not the way Go's filepath.Glob does:
//
//   - supervisord reads [include] files= with Python's glob.glob and sorts
//     each pattern's matches; its wildcards never match a name that starts
//     with a dot unless the pattern's element does too, "[!a]" negates a
//     set ("[^a]" is a set holding ^ and a) and a backslash is an ordinary
//     character;
//   - php-fpm reads include= with glibc's glob(3) (GLOB_ERR|GLOB_MARK,
//     sorted, directories skipped): a leading dot must be matched by a dot
//     written in the pattern, "[!a]" and "[^a]" both negate and a backslash
//     quotes the next character.
//
// filepath.Glob matches hidden files, takes "[!a]" as a set holding ! and
// a, and quotes with backslashes; so on a host with a ".old.conf" backup
// or a "[!_]*.conf" include, a Go glob names files the daemon never reads,
// and poolvisor would show, or edit, the wrong one.
package daemonglob

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Dialect is whose glob rules apply.
type Dialect int

const (
	// Python is supervisord's: glob.glob with fnmatch.
	Python Dialect = iota
	// C is php-fpm's: glibc glob(3) without GLOB_NOESCAPE.
	C
)

// Glob returns the paths pattern matches, sorted, as the daemon of dialect
// d would read them. Like the daemons, it ignores elements it cannot read.
// Directories are included (supervisord would try to read them as files;
// php-fpm skips them: callers decide).
func Glob(d Dialect, pattern string) []string {
	if pattern == "" {
		return nil
	}
	start := "."
	if filepath.IsAbs(pattern) {
		start = "/"
	}
	parts := elements(pattern)
	paths := []string{start}
	for i, part := range parts {
		last := i == len(parts)-1
		var next []string
		for _, dir := range paths {
			if !hasMagic(d, part) {
				p := filepath.Join(dir, unquote(d, part))
				if _, err := os.Lstat(p); err == nil {
					next = append(next, p)
				}
				continue
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			// glob(3) also lists . and .., which ".*" then matches (a
			// pattern like ".*/x.conf" reads ./x.conf): not followed here.
			for _, e := range entries {
				name := e.Name()
				if !matchElement(d, part, name) {
					continue
				}
				p := filepath.Join(dir, name)
				if !last {
					// Python's is_dir() and glob(3) follow links to
					// directories; a file in the middle matches nothing.
					if st, err := os.Stat(p); err != nil || !st.IsDir() {
						continue
					}
				}
				next = append(next, p)
			}
		}
		paths = next
		if len(paths) == 0 {
			return nil
		}
	}
	if start == "." {
		for i, p := range paths {
			paths[i] = strings.TrimPrefix(p, "./")
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// Match reports whether path is one pattern would match, element by
// element, without looking at the file system (path need not exist).
func Match(d Dialect, pattern, path string) bool {
	if filepath.IsAbs(pattern) != filepath.IsAbs(path) {
		return false
	}
	pp, np := elements(pattern), elements(filepath.Clean(path))
	if len(pp) != len(np) {
		return false
	}
	for i := range pp {
		if hasMagic(d, pp[i]) {
			if !matchElement(d, pp[i], np[i]) {
				return false
			}
		} else if unquote(d, pp[i]) != np[i] {
			return false
		}
	}
	return true
}

// HasMagic reports whether pattern has a wildcard the daemon would expand.
func HasMagic(d Dialect, pattern string) bool {
	return slices.ContainsFunc(elements(pattern), func(e string) bool { return hasMagic(d, e) })
}

// elements splits a pattern on slashes, dropping empty elements and ".".
func elements(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" && e != "." {
			out = append(out, e)
		}
	}
	return out
}

func hasMagic(d Dialect, e string) bool {
	for i := 0; i < len(e); i++ {
		switch e[i] {
		case '*', '?', '[':
			return true
		case '\\':
			if d == C {
				i++
			}
		}
	}
	return false
}

// unquote drops glob(3)'s backslashes from a literal element.
func unquote(d Dialect, e string) string {
	if d != C || !strings.Contains(e, `\`) {
		return e
	}
	var b strings.Builder
	for i := 0; i < len(e); i++ {
		if e[i] == '\\' && i+1 < len(e) {
			i++
		}
		b.WriteByte(e[i])
	}
	return b.String()
}

// matchElement matches one path element. A name that starts with a dot is
// matched only by an element that starts with one, written as a dot (both
// daemons; glob(3) also takes a quoted dot).
func matchElement(d Dialect, pat, name string) bool {
	if strings.HasPrefix(name, ".") {
		lead := strings.HasPrefix(pat, ".") || (d == C && strings.HasPrefix(pat, `\.`))
		if !lead {
			return false
		}
	}
	return match(d, pat, name)
}

// char returns the character at s[i] and its width: a rune for Python
// (which matches decoded names; a byte that is not UTF-8 counts as one), a
// byte for glob(3) in php-fpm's C locale.
func char(d Dialect, s string, i int) (rune, int) {
	if d == C {
		return rune(s[i]), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// match is fnmatch on whole strings, one character (see char) for ? and in
// sets, with backtracking for *.
func match(d Dialect, pat, name string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for nx < len(name) || px < len(pat) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					_, w := char(d, name, nx)
					px++
					nx += w
					continue
				}
			case '[':
				if nx < len(name) {
					r, w := char(d, name, nx)
					if ok, n, valid := matchSet(d, pat[px:], r); valid {
						if ok {
							px += n
							nx += w
							continue
						}
						break
					}
				}
				// An unclosed [ is an ordinary character.
				if nx < len(name) && name[nx] == '[' {
					px++
					nx++
					continue
				}
			default:
				lit, n := c, 1
				if c == '\\' && d == C && px+1 < len(pat) {
					lit, n = pat[px+1], 2
				}
				if nx < len(name) && name[nx] == lit {
					px += n
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(name) {
			_, w := char(d, name, starNx)
			starNx += w
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

// matchSet matches r against the set that starts pat ("[...]"); it says
// whether r is in it, the set's length in pat, and whether pat holds a
// whole set at all (no closing ]: not a set).
func matchSet(d Dialect, pat string, r rune) (in bool, n int, valid bool) {
	i := 1
	negate := false
	if i < len(pat) && (pat[i] == '!' || (d == C && pat[i] == '^')) {
		negate = true
		i++
	}
	first := true
	for {
		if i >= len(pat) {
			return false, 0, false
		}
		if pat[i] == ']' && !first {
			break
		}
		first = false
		lo, w := setChar(d, pat, i)
		i += w
		hi := lo
		if i+1 < len(pat) && pat[i] == '-' && pat[i+1] != ']' {
			hi, w = setChar(d, pat, i+1)
			i += 1 + w
		}
		if lo <= r && r <= hi {
			in = true
		}
	}
	return in != negate, i + 1, true
}

// setChar reads one character of a set at pat[i]: glob(3) quotes with a
// backslash there too, Python does not.
func setChar(d Dialect, pat string, i int) (rune, int) {
	if d == C && pat[i] == '\\' && i+1 < len(pat) {
		return rune(pat[i+1]), 2
	}
	return char(d, pat, i)
}
