// Package hostscan finds how a host runs Supervisor and PHP-FPM: which
// config file supervisord reads and what it includes, every PHP-FPM
// installation (Debian and Ubuntu with side-by-side versions, RHEL with its
// base package and Remi's collections, Alpine) with its pools and its
// service. `poolvisor init` turns what it finds into a starting config, and
// phpfpm.version: auto can use PHPFPM to list every installed version.
//
// Every path is looked up under a root prefix ("/" on a real host, a fixture
// tree in tests); the paths in a Layout are the host's own, without the root.
// The reading is deliberately light: enough of supervisord's and php-fpm's
// ini dialects to find sections, includes and a few keys. What cannot be
// found or read becomes a Problem that says how to fix it, never a guess.
package hostscan

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// Layout is what Scan found on a host.
type Layout struct {
	// Supervisor is nil when no supervisord config was found.
	Supervisor *Supervisor
	// PHP lists every PHP-FPM installation, Debian versions oldest first,
	// then RHEL's base package, Remi's collections, Alpine's and one built
	// under /usr/local.
	PHP []PHPInstall
	// Problems are what could not be found or read, each with its fix.
	Problems []Problem
	// Notes are facts worth knowing that need no fix (another candidate
	// config that supervisord does not read, a unit whose manager is not
	// running).
	Notes []string
}

// Problem is something Scan could not find or read.
type Problem struct {
	What string // what is missing or unreadable, naming the path
	Fix  string // how to fix it: what to install, set or edit
}

func (p Problem) String() string {
	if p.Fix == "" {
		return p.What
	}
	return p.What + ": " + p.Fix
}

// Scan reads the host under root ("/" on a real host) and returns its
// layout. It never fails as a whole: what it cannot read is a Problem.
func Scan(root string) Layout {
	h := newHost(root)
	var l Layout
	l.Supervisor = scanSupervisor(h)
	l.PHP = scanPHP(h)
	l.Problems, l.Notes = h.problems, h.notes
	return l
}

// PHPFPM returns every PHP-FPM installation under root ("/" on a real
// host), with what could not be read about them. Instance names are unique:
// the version ("8.3") unless two installations share it, when the later ones
// are named by flavour ("remi-8.3"). This is what phpfpm.version: auto means
// by "every installed version".
func PHPFPM(root string) ([]PHPInstall, []Problem) {
	h := newHost(root)
	return scanPHP(h), h.problems
}

// host reads files under root and collects problems and notes.
type host struct {
	root     string
	problems []Problem
	notes    []string
}

func newHost(root string) *host {
	if root == "" {
		root = "/"
	}
	return &host{root: root}
}

func (h *host) problem(what, fix string, args ...any) {
	h.problems = append(h.problems, Problem{What: what, Fix: fmt.Sprintf(fix, args...)})
}

func (h *host) note(format string, args ...any) {
	h.notes = append(h.notes, fmt.Sprintf(format, args...))
}

// real returns where the host path p is on this machine.
func (h *host) real(p string) string { return filepath.Join(h.root, filepath.FromSlash(p)) }

// exists reports whether the host path p exists (following links that stay
// meaningful under root: an absolute link target is not rewritten, so a
// fixture tree should hold files, not links).
func (h *host) exists(p string) bool {
	_, err := os.Stat(h.real(p))
	return err == nil
}

func (h *host) isLink(p string) bool {
	fi, err := os.Lstat(h.real(p))
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}

func (h *host) isDir(p string) bool {
	fi, err := os.Stat(h.real(p))
	return err == nil && fi.IsDir()
}

func (h *host) read(p string) (string, error) {
	b, err := os.ReadFile(h.real(p))
	return string(b), err
}

// glob matches a host-path pattern with dialect's rules (supervisord's
// Python glob or php-fpm's glob(3); glob(3)'s for systemd and the layouts
// of distributions) and returns host paths, sorted as both sort them.
func (h *host) glob(d daemonglob.Dialect, pattern string) []string {
	matches := daemonglob.Glob(d, h.real(pattern))
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		rel, err := filepath.Rel(h.root, m)
		if err != nil {
			continue
		}
		out = append(out, "/"+filepath.ToSlash(rel))
	}
	slices.Sort(out)
	return out
}

// hasMeta reports whether a path holds glob metacharacters.
func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// globDir splits an include glob into the directory new files go in and the
// extension its last element expects ("/etc/supervisor/conf.d/*.conf" ->
// "/etc/supervisor/conf.d", ".conf"; "" for a bare "*"). ok is false when
// the directory itself holds a wildcard, or the last element is no "*.ext"
// pattern, so that no one name is sure to be included.
func globDir(glob string) (dir, ext string, ok bool) {
	dir, base := path.Split(glob)
	dir = path.Clean(dir)
	if hasMeta(dir) {
		return dir, "", false
	}
	if base == "*" {
		return dir, "", true // any name is included
	}
	if !strings.HasPrefix(base, "*") || hasMeta(base[1:]) {
		return dir, "", false
	}
	return dir, path.Ext(base), path.Ext(base) != "" && base == "*"+path.Ext(base)
}
