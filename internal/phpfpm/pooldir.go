package phpfpm

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// poolEntry is one pool found in a file php-fpm reads.
type poolEntry struct {
	name       string
	file       string
	lines      []int // its header lines in file, from 1
	directives map[string]string
	alone      bool   // the file holds this pool only
	main       bool   // the file is php-fpm's main config
	why        string // why poolvisor does not write the file; "" when it may
	src        *confSource
}

func (e poolEntry) summary() ops.Pool {
	listen := expandPool(e.directives["listen"], e.name)
	return ops.Pool{Name: e.name, PM: e.directives["pm"], Listen: listen, File: e.file}
}

// where names the entry's place for messages: "FILE line N".
func (e poolEntry) where() string {
	parts := make([]string, len(e.lines))
	for i, n := range e.lines {
		parts[i] = fmt.Sprintf("%s line %d", e.file, n)
	}
	return strings.Join(parts, " and ")
}

// poolDir is every pool php-fpm reads, as read at one moment: from the main
// config and every file it includes, in php-fpm's order.
type poolDir struct {
	pools    []poolEntry
	files    []*confSource
	includes []string // the main config's include globs, absolute
	problems []string // files that could not be read, for the answer
}

// scanPools reads the main config and every file it includes.
func (b *Backend) scanPools() (*poolDir, error) {
	l, err := loadFiles(b.cfg.MainConfig, nil)
	if err != nil {
		return nil, ops.Fail(err, "cannot read php-fpm's main config %s", b.cfg.MainConfig)
	}
	d := &poolDir{files: l.files, problems: l.problems}
	for _, line := range l.files[0].conf.lines {
		if line.kind == lineDirective && line.key == "include" {
			d.includes = append(d.includes, resolve(line.value, installPrefix))
		}
	}
	why := map[*confSource]string{}
	for _, f := range l.files {
		why[f] = b.writable(f.path, d.includes)
		if f.bad != "" {
			why[f] = "poolvisor cannot write it back exactly: " + f.bad
		}
		if l.twice[f.path] {
			why[f] = "php-fpm includes it more than once, so its pools are defined twice"
		}
	}
	type key struct {
		f    *confSource
		name string
	}
	at := map[key]int{}
	for _, h := range l.headers {
		f, name := h.file, h.file.conf.lines[h.line].section
		if strings.EqualFold(name, "global") {
			continue
		}
		if j, ok := at[key{f, name}]; ok {
			d.pools[j].lines = append(d.pools[j].lines, h.line+1)
			continue
		}
		at[key{f, name}] = len(d.pools)
		d.pools = append(d.pools, poolEntry{name: name, file: f.path, lines: []int{h.line + 1},
			directives: f.conf.directives(name), alone: f.conf.alone(name), main: f.main, why: why[f], src: f})
	}
	return d, nil
}

// lookup returns every place pool name is defined.
func (d *poolDir) lookup(name string) []poolEntry {
	var found []poolEntry
	for _, p := range d.pools {
		if p.name == name {
			found = append(found, p)
		}
	}
	return found
}

// twice says where a pool defined more than once is defined, or "".
func twice(found []poolEntry) string {
	n := 0
	places := make([]string, len(found))
	for i, e := range found {
		n += len(e.lines)
		places[i] = e.where()
	}
	if n < 2 {
		return ""
	}
	return strings.Join(places, " and ")
}

// find returns the pool called name, or an invalid error naming the pools
// that exist, or the places of a pool defined twice.
func (d *poolDir) find(name, host string) (poolEntry, error) {
	found := d.lookup(name)
	if len(found) == 0 {
		names := make([]string, len(d.pools))
		for i, p := range d.pools {
			names[i] = p.name
		}
		if len(names) == 0 {
			return poolEntry{}, ops.Invalidf("no pool named %s on %s (there are no pools)", name, host)
		}
		return poolEntry{}, ops.Invalidf("no pool named %s on %s; the pools are: %s", name, host, joinNames(names))
	}
	if places := twice(found); places != "" {
		return found[0], ops.Invalidf("pool %s is defined twice, in %s: php-fpm merges the two, so poolvisor does not change it; remove one by hand first", name, places)
	}
	return found[0], nil
}

// editable returns the pool's file for an edit or delete: the pool's own
// section of it is what the edit may change.
func (d *poolDir) editable(name, host string) (poolEntry, *PoolFile, []byte, error) {
	e, err := d.find(name, host)
	if err != nil {
		return e, nil, nil, err
	}
	if e.why != "" {
		return e, nil, nil, ops.Invalidf("pool %s is defined in %s, which poolvisor does not edit: %s", name, e.file, e.why)
	}
	data := e.src.data
	if e.alone {
		pf, err := ParsePoolFile(name, data)
		return e, pf, data, err
	}
	conf, err := parseConf(data)
	if err != nil { // e.why says so already
		return e, nil, nil, ops.Invalidf("the file of pool %s cannot be read: %v", name, err)
	}
	return e, &PoolFile{name: name, conf: conf}, data, nil
}

// source returns the file at path if php-fpm reads it, else nil.
func (d *poolDir) source(path string) *confSource {
	for _, f := range d.files {
		if f.path == path {
			return f
		}
	}
	return nil
}

// Uneditable returns one line per file or pool that poolvisor reads but
// will not edit, "PATH: why", sorted; check-config shows them.
func (b *Backend) Uneditable() []string {
	d, err := b.scanPools()
	if err != nil {
		_, msg := ops.UserError(err)
		return []string{b.cfg.MainConfig + ": " + msg}
	}
	out := append([]string(nil), d.problems...)
	done := map[string]bool{}
	for _, e := range d.pools {
		if places := twice(d.lookup(e.name)); places != "" {
			out = append(out, fmt.Sprintf("%s: pool %s is defined twice (%s)", e.file, e.name, places))
		}
		if e.why != "" && !done[e.file] {
			done[e.file] = true
			out = append(out, e.file+": "+e.why)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// digest is the fingerprint of a file's bytes; nil (no file) has its own.
func digest(data []byte) string {
	if data == nil {
		return "absent"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// readIfExists returns the file's bytes, or nil when there is no file.
func readIfExists(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if data == nil && err == nil {
		data = []byte{}
	}
	return data, err
}

func joinNames(names []string) string {
	const max = 20
	if len(names) > max {
		return fmt.Sprintf("%s and %d more", joinNames(names[:max]), len(names)-max)
	}
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
