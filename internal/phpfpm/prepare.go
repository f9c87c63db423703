package phpfpm

import (
	"os"
	"path/filepath"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/secret"
)

// prepare computes the file a request writes and the pool it describes.
// The pool comes from flags, or whole from Arg content: a raw edit from a
// chat form, or a rollback, holding the pool's own section (its whole file
// when it has one of its own). Only the pool's own lines of its file
// change; every other byte of the file stays.
func (w poolWrite) prepare(op ops.Operation, d *poolDir) (change, *candidate, error) {
	b, name := w.b, op.Target
	settings, err := b.requested(op)
	if err != nil {
		return change{}, nil, err
	}
	content, whole := op.Get("content")
	if whole && len(settings) > 0 {
		return change{}, nil, ops.Invalidf("give either the whole file or pool flags, not both")
	}
	var pf *PoolFile
	c := change{pool: name}
	switch w.kind {
	case writeCreate:
		if e, err := d.find(name, b.cfg.Host); err == nil || len(d.lookup(name)) > 0 {
			return c, nil, ops.InvalidField(catalog.Target, "pool %s already exists on %s (%s); change it with /fpm pool edit %s", name, b.cfg.Host, e.file, name)
		}
		if into, ok := op.Get("rollback_path"); ok {
			// A rollback brings a pool back into the file it was deleted from.
			if !whole {
				return c, nil, ops.Invalidf("a pool is put into an existing file only with its whole section")
			}
			version, _ := op.Get("rollback_file")
			return w.into(c, d, filepath.Clean(into), content, version)
		}
		c.path = filepath.Join(b.cfg.PoolDir, name+".conf")
		if _, err := os.Stat(c.path); err == nil {
			return c, nil, ops.Invalidf("%s exists already and does not hold pool %s; move it away first", c.path, name)
		}
		if err := b.checkIncluded(c.path); err != nil {
			return c, nil, err
		}
		pf = NewPoolFile(name)
		settings = append(b.createDefaults(name, settings), settings...)
	case writeEdit:
		if len(settings) == 0 && !whole {
			return c, nil, ops.Invalidf("nothing to change: give pool flags, like /fpm pool edit %s %s 10", name, flagFor("pm.max_children"))
		}
		var e poolEntry
		if e, pf, c.before, err = d.editable(name, b.cfg.Host); err != nil {
			return c, nil, err
		}
		c.path = e.file
		if whole { // the pool weighed against what its editor showed, as show gives it
			if err := ops.CheckShown(op, secret.File(string(pf.section())), "Pool "+name); err != nil {
				return c, nil, err
			}
		}
	case writeDelete:
		e, pf, before, err := d.editable(name, b.cfg.Host)
		if err != nil {
			return c, nil, err
		}
		c.path, c.before = e.file, before
		c.after = pf.without()
		switch {
		case e.main && c.after == nil:
			c.after = []byte{} // the main config stays, however empty
		case !e.main && c.after != nil && mustParse(c.after).onlyComments():
			c.after = nil // nothing but comments would remain
		}
		return c, nil, nil
	}
	var changed map[string]bool
	if whole {
		next, err := w.section(pf, name, content)
		if err != nil {
			return c, nil, err
		}
		// A new pool's file starts empty, so all of its directives count.
		if changed, err = changedKeys(pf.Directives(), next.Directives()); err != nil {
			return c, nil, err
		}
		from, to, _ := pf.conf.span(name)
		repl := next.conf.lines
		if to < len(pf.conf.lines) {
			repl = keepTrailingBlanks(pf.conf.lines[from:to], repl)
		}
		pf = &PoolFile{name: name, conf: pf.conf.splice(from, to, repl)}
	} else {
		changed = map[string]bool{}
		for _, s := range settings {
			if err := pf.Set(s.key, s.value); err != nil {
				return c, nil, err
			}
			changed[s.key] = true
		}
	}
	c.after = pf.Bytes()
	return c, pf.candidate(changed), nil
}

// section reads content given whole for pool name, whose lines in pf it
// replaces: the form showed them with the secrets masked, and the lines
// kept as shown keep their values.
func (w poolWrite) section(pf *PoolFile, name, content string) (*PoolFile, error) {
	var old []byte
	if pf != nil {
		old = pf.section()
	}
	content, err := secret.Unmask(content, string(old))
	if err != nil {
		return nil, ops.Invalidf("%v", err)
	}
	return wholeFile(name, content)
}

// into puts pool name, given whole, into the file at path: where it stood
// in version (the whole file as it was) when the file is that version but
// for the pool, else at its end, when the file exists and php-fpm reads
// it; else as a new file where an include of the main config reads it.
func (w poolWrite) into(c change, d *poolDir, path, content, version string) (change, *candidate, error) {
	b, name := w.b, c.pool
	next, err := w.section(nil, name, content)
	if err != nil {
		return c, nil, err
	}
	changed, err := changedKeys(nil, next.Directives())
	if err != nil {
		return c, nil, err
	}
	c.path = path
	src := d.source(path)
	if src == nil {
		if _, err := os.Lstat(path); err == nil || path == b.cfg.MainConfig {
			return c, nil, ops.Invalidf("php-fpm does not read %s as a pool file, so pool %s is not put there", path, name)
		}
		if why := b.writable(path, d.includes); why != "" {
			return c, nil, ops.Invalidf("pool %s is not written to %s: %s", name, path, why)
		}
		c.after = next.Bytes()
		return c, next.candidate(changed), nil
	}
	why := b.writable(path, d.includes)
	if src.bad != "" {
		why = "poolvisor cannot write it back exactly: " + src.bad
	}
	if why != "" {
		return c, nil, ops.Invalidf("pool %s is not written to %s: %s", name, path, why)
	}
	if v := []byte(version); version != "" {
		// Nothing but the pool differs: the version is the file with the
		// pool back in its place, byte for byte.
		pv := &PoolFile{name: name, conf: mustParse(v)}
		if sec := pv.section(); sec != nil && string(sec) == string(next.Bytes()) && string(pv.without()) == string(src.data) {
			c.before, c.after = src.data, v
			return c, pv.candidate(changed), nil
		}
	}
	base := mustParse(src.data)
	lines := append([]confLine(nil), base.lines...)
	if n := len(lines); n > 0 {
		if lines[n-1].eol == "" {
			lines[n-1].eol = "\n"
		}
		if lines[n-1].kind != lineBlank {
			lines = append(lines, confLine{eol: "\n", kind: lineBlank})
		}
	}
	pf := &PoolFile{name: name, conf: &confFile{lines: append(lines, next.conf.lines...)}}
	c.before, c.after = src.data, pf.Bytes()
	return c, pf.candidate(changed), nil
}

// candidate is the pool in pf as validation sees it.
func (p *PoolFile) candidate(changed map[string]bool) *candidate {
	raw := func(key string) (string, bool) { return p.conf.rawValue(p.name, key) }
	return &candidate{name: p.name, directives: p.Directives(), changed: changed, raw: raw}
}

// without returns the file without the pool's own lines; nil when the file
// held the pool alone. Blank lines left at the end by the last section go
// with it.
func (p *PoolFile) without() []byte {
	from, to, _ := p.conf.span(p.name)
	if to == len(p.conf.lines) {
		for from > 0 && p.conf.lines[from-1].kind == lineBlank {
			from--
		}
	}
	rest := p.conf.splice(from, to, nil)
	if len(rest.lines) == 0 {
		return nil
	}
	return rest.bytes()
}

// keepTrailingBlanks gives repl the blank lines that ended old when it has
// none of its own: a chat form drops them, and the next section's spacing
// should not change because of it.
func keepTrailingBlanks(old, repl []confLine) []confLine {
	if n := len(repl); n > 0 && repl[n-1].kind == lineBlank {
		return repl
	}
	i := len(old)
	for i > 0 && old[i-1].kind == lineBlank {
		i--
	}
	out := append([]confLine(nil), repl...)
	if n := len(out); n > 0 && i < len(old) && out[n-1].eol == "" {
		out[n-1].eol = "\n"
	}
	return append(out, old[i:]...)
}

// mustParse parses data that parsed before.
func mustParse(data []byte) *confFile {
	conf, err := parseConf(data)
	if err != nil {
		conf, _ = parseConfLoose(data)
	}
	return conf
}

// PoolSection returns pool name's own lines of a version of its file (the
// whole file when the pool has it alone), nil when the version does not
// define the pool exactly once: the history compares and rolls back this
// part only (history.Files.Section), so a rollback never changes the other
// pools of a shared file.
func PoolSection(name string, file []byte) []byte {
	if file == nil {
		return nil
	}
	return (&PoolFile{name: name, conf: mustParse(file)}).section()
}
