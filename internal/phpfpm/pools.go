package phpfpm

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/secret"
)

func (b *Backend) list(_ context.Context, _ ops.Request) (ops.Outcome, error) {
	d, err := b.scanPools()
	if err != nil {
		return ops.Outcome{}, err
	}
	data := ops.PoolList{Pools: []ops.Pool{}}
	for _, p := range d.pools {
		data.Pools = append(data.Pools, p.summary())
	}
	parts := []ops.Part{ops.Prose(fmt.Sprintf("PHP-FPM pools on %s (PHP %s, %s):", b.cfg.Host, b.cfg.Version, b.cfg.PoolDir)), b.poolTable(data.Pools)}
	if len(data.Pools) == 0 {
		parts = []ops.Part{ops.Prose(fmt.Sprintf("No PHP-FPM pools on %s (%s is empty); /fpm pool create NAME adds one.", b.cfg.Host, b.cfg.PoolDir))}
	}
	data.Problems = d.problems
	var notes []string
	for _, p := range d.problems {
		notes = append(notes, "Not read: "+p)
	}
	told := map[string]bool{}
	for _, p := range d.pools {
		if places := twice(d.lookup(p.name)); places != "" && !told[p.name] {
			told[p.name] = true
			notes = append(notes, fmt.Sprintf("Defined twice (php-fpm merges them; poolvisor does not edit it): %s in %s", p.name, places))
		}
	}
	if len(notes) > 0 {
		parts = append(parts, ops.Prose(strings.Join(notes, "\n")))
	}
	return ops.Parts(data, parts...), nil
}

// poolTable lays out pools as aligned columns: files of the pool dir by
// their name, files elsewhere (php-fpm.conf, a sites directory) by path.
func (b *Backend) poolTable(pools []ops.Pool) ops.Part {
	rows := [][]string{{"NAME", "PM", "LISTEN", "FILE"}}
	for _, p := range pools {
		file := p.File
		if filepath.Dir(file) == filepath.Clean(b.cfg.PoolDir) {
			file = filepath.Base(file)
		}
		rows = append(rows, []string{p.Name, p.PM, p.Listen, file})
	}
	return ops.RowsTable(rows...)
}

func (b *Backend) show(_ context.Context, req ops.Request) (ops.Outcome, error) {
	if err := checkPoolName(req.Op.Target); err != nil {
		return ops.Outcome{}, err
	}
	d, err := b.scanPools()
	if err != nil {
		return ops.Outcome{}, err
	}
	found := d.lookup(req.Op.Target)
	e, err := d.find(req.Op.Target, b.cfg.Host)
	if len(found) == 0 {
		return ops.Outcome{}, err
	}
	if twice(found) != "" {
		// Defined twice: shown as php-fpm reads it, the later lines winning.
		merged := map[string]string{}
		for _, f := range found {
			maps.Copy(merged, f.directives)
		}
		e.directives = merged
		_, msg := ops.UserError(err)
		return ops.Outcome{Message: showText(b.cfg.Host, e) + "\n" + msg, Data: showData(e)}, nil
	}
	data := showData(e)
	// For a raw edit from a chat form, which restores the secrets: the
	// pool's own lines, the whole file when it holds the pool alone.
	if e.src.bad == "" {
		pf := &PoolFile{name: e.name, conf: e.src.conf}
		data.Pool.Content = secret.File(string(pf.section()))
	}
	msg := showText(b.cfg.Host, e)
	if e.why != "" {
		msg += "\npoolvisor does not edit it: " + e.why
	}
	return ops.Outcome{Message: msg, Data: data}, nil
}

// showData is the pool as answers show it, secrets masked: a viewer may
// run show, and create and edit answer in the channel.
func showData(e poolEntry) ops.PoolShow {
	return ops.PoolShow{Pool: ops.PoolDetail{Name: e.name, File: e.file, Directives: secret.Directives(e.directives)}}
}

func showText(host string, e poolEntry) string {
	return fmt.Sprintf("Pool %s on %s (%s):\n%s", e.name, host, e.file, directiveLines(e.directives))
}

// directiveLines lists directives one per line, sorted, secrets masked.
func directiveLines(d map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(d)) {
		fmt.Fprintf(&b, "  %s = %s\n", k, secret.Value(k, d[k]))
	}
	return strings.TrimRight(b.String(), "\n")
}

type writeKind int

const (
	writeCreate writeKind = iota
	writeEdit
	writeDelete
)

var verbs = map[writeKind][2]string{
	writeCreate: {"create", "Created"}, writeEdit: {"edit", "Changed"}, writeDelete: {"delete", "Deleted"},
}

// poolWrite handles create, edit and delete of one pool.
type poolWrite struct {
	b    *Backend
	kind writeKind
}

func (w poolWrite) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b, name := w.b, req.Op.Target
	if err := checkPoolName(name); err != nil {
		return nil, err
	}
	if w.kind != writeCreate && b.protected(name) {
		return nil, ops.Invalidf("pool %s is protected on %s (phpfpm.protected_pools): poolvisor does not %s it", name, b.cfg.Host, verbs[w.kind][0])
	}
	d, err := b.scanPools()
	if err != nil {
		return nil, err
	}
	c, cand, err := w.prepare(req.Op, d)
	if err != nil {
		return nil, err
	}
	if c.unchanged() {
		msg := fmt.Sprintf("Pool %s on %s already has these settings; nothing to do.", name, b.cfg.Host)
		return &ops.Plan{Summary: msg, Fingerprint: digest(c.before), Apply: func(context.Context) (ops.Outcome, error) {
			return ops.Outcome{Message: msg}, nil
		}}, nil
	}
	if cand != nil {
		if err := validatePool(*cand, d.pools); err != nil {
			return nil, err
		}
		if err := b.checkPolicy(*cand); err != nil {
			return nil, err
		}
	}
	if err := b.phpCheck(ctx, c.path, c.after); err != nil {
		return nil, err
	}
	what := "write " + c.path
	switch {
	case c.before == nil:
		what += " (new file)"
	case c.after == nil:
		what = "remove " + c.path
	case !mustParse(c.before).alone(name) && w.kind == writeDelete:
		what = fmt.Sprintf("remove pool %s's own lines from %s; the rest of the file stays as it is", name, c.path)
	case !mustParse(c.before).alone(name):
		what = fmt.Sprintf("change pool %s's own lines of %s; the rest of the file stays as it is", name, c.path)
	}
	// The pipeline shows the diff of Changes after the summary.
	summary := fmt.Sprintf("%s pool %s on %s:\n  %s\n  then %s, and check that every pool accepts connections\n  php-fpm's own test of the result passed",
		verbs[w.kind][0], name, b.cfg.Host, what, b.describe("reload"))
	fp := digest(c.before)
	changes := []ops.FileChange{c.fileChange()}
	return &ops.Plan{Summary: summary, Fingerprint: fp, Changes: changes, Apply: func(ctx context.Context) (ops.Outcome, error) {
		if err := b.applyChange(ctx, c, fp); err != nil {
			return ops.Outcome{}, err
		}
		out, err := w.outcome(c)
		out.Changes = changes
		return out, err
	}}, nil
}

// PoolPath returns the live file of pool name: the file that holds it
// (shared with other pools or not, the main config included), or where
// create would write it. The history of pool files uses it.
func (b *Backend) PoolPath(name string) string {
	if d, err := b.scanPools(); err == nil {
		if found := d.lookup(name); len(found) > 0 {
			return found[0].file
		}
	}
	return filepath.Join(b.cfg.PoolDir, name+".conf")
}

// checkIncluded refuses a new pool file that php-fpm would not read.
func (b *Backend) checkIncluded(path string) error {
	m, err := readMainConfig(b.cfg.MainConfig)
	if err != nil {
		return ops.Fail(err, "cannot read php-fpm's main config %s", b.cfg.MainConfig)
	}
	for _, g := range m.includes {
		if daemonglob.Match(daemonglob.C, g, path) {
			return nil
		}
	}
	return ops.Invalidf("php-fpm would not read %s: no include line of %s matches it", path, b.cfg.MainConfig)
}

// outcome describes a write that was applied.
func (w poolWrite) outcome(c change) (ops.Outcome, error) {
	b := w.b
	d, err := b.scanPools()
	if err != nil {
		return ops.Outcome{}, err
	}
	head := fmt.Sprintf("%s pool %s on %s (%s); php-fpm reloaded and every pool accepts connections.", verbs[w.kind][1], c.pool, b.cfg.Host, c.path)
	if w.kind == writeDelete {
		list := ops.PoolList{Pools: []ops.Pool{}}
		for _, p := range d.pools {
			list.Pools = append(list.Pools, p.summary())
		}
		return ops.Parts(list, ops.Prose(head), b.poolTable(list.Pools)), nil
	}
	e, err := d.find(c.pool, b.cfg.Host)
	if err != nil {
		return ops.Outcome{}, err
	}
	return ops.Outcome{Message: head + "\n" + directiveLines(e.directives), Data: showData(e)}, nil
}
