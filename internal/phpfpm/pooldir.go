package phpfpm

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// poolEntry is one pool found in the pool dir.
type poolEntry struct {
	name       string
	file       string
	directives map[string]string
	alone      bool // the file holds this pool only, so poolvisor may edit it
}

func (e poolEntry) summary() ops.Pool {
	listen := expandPool(e.directives["listen"], e.name)
	return ops.Pool{Name: e.name, PM: e.directives["pm"], Listen: listen, File: e.file}
}

// poolDir is the pool dir as read at one moment.
type poolDir struct {
	pools    []poolEntry
	problems []string // files that could not be read, for the answer
}

// scanPools reads every *.conf file of the pool dir.
func (b *Backend) scanPools() (*poolDir, error) {
	files, err := filepath.Glob(filepath.Join(b.cfg.PoolDir, "*.conf"))
	if err != nil {
		return nil, fmt.Errorf("list pool dir: %w", err)
	}
	if _, err := os.Stat(b.cfg.PoolDir); err != nil {
		return nil, ops.Fail(err, "cannot read the pool dir %s", b.cfg.PoolDir)
	}
	slices.Sort(files)
	d := &poolDir{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			d.problems = append(d.problems, fmt.Sprintf("%s cannot be read: %v", f, err))
			continue
		}
		conf, err := parseConf(data)
		if err != nil {
			d.problems = append(d.problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		secs := conf.sections()
		for _, s := range secs {
			if s == "global" {
				continue
			}
			d.pools = append(d.pools, poolEntry{name: s, file: f, directives: conf.directives(s), alone: len(secs) == 1})
		}
	}
	return d, nil
}

// find returns the pool called name, or an invalid error naming the pools
// that exist.
func (d *poolDir) find(name, host string) (poolEntry, error) {
	var found []poolEntry
	for _, p := range d.pools {
		if p.name == name {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		names := make([]string, len(d.pools))
		for i, p := range d.pools {
			names[i] = p.name
		}
		if len(names) == 0 {
			return poolEntry{}, ops.Invalidf("no pool named %s on %s (there are no pools)", name, host)
		}
		return poolEntry{}, ops.Invalidf("no pool named %s on %s; the pools are: %s", name, host, joinNames(names))
	case 1:
		return found[0], nil
	}
	return poolEntry{}, ops.Invalidf("pool %s is defined in both %s and %s; fix that by hand first", name, found[0].file, found[1].file)
}

// editable returns the pool's file for an edit or delete.
func (d *poolDir) editable(name, host string) (poolEntry, *PoolFile, []byte, error) {
	e, err := d.find(name, host)
	if err != nil {
		return e, nil, nil, err
	}
	if !e.alone {
		return e, nil, nil, ops.Invalidf("pool %s shares the file %s with other pools; poolvisor edits only files that hold one pool", name, e.file)
	}
	data, err := os.ReadFile(e.file)
	if err != nil {
		return e, nil, nil, ops.Fail(err, "cannot read the file of pool %s", name)
	}
	pf, err := ParsePoolFile(name, data)
	if err != nil {
		return e, nil, nil, err
	}
	return e, pf, data, nil
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
