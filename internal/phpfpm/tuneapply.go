package phpfpm

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// tuneApply handles fpm.tune.apply (/fpm tune --apply): the advice of
// fpm.tune planned as one write of every pool it resizes, through the
// path a pool edit takes: poolvisor's own rules and the write policy for
// each pool, php-fpm's own test of all the files together, then the
// checked, atomic write of each, one reload, and every file restored when
// php-fpm does not come back (applyChanges).
type tuneApply struct{ b *Backend }

func (t tuneApply) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := t.b
	a, err := b.advise(ctx, req)
	if err != nil {
		return nil, err
	}
	cs, resized, err := b.tuneChanges(a)
	if err != nil {
		return nil, err
	}
	parts := tuneParts(b.cfg.Host, a.data)
	if len(cs) == 0 {
		msg := fmt.Sprintf("Every pool of PHP-FPM on %s already has its advised size; nothing to do.", b.cfg.Host)
		return &ops.Plan{Summary: msg, Apply: func(context.Context) (ops.Outcome, error) {
			return ops.Parts(a.data, append(parts, ops.Prose(msg))...), nil
		}}, nil
	}
	overlay := map[string][]byte{}
	fps := make([]string, len(cs))
	changes := make([]ops.FileChange, len(cs))
	var files []string
	for i, c := range cs {
		overlay[c.path] = c.after
		fps[i] = digest(c.before)
		changes[i] = c.fileChange()
		files = append(files, c.path)
	}
	if err := b.phpCheckFiles(ctx, overlay); err != nil {
		return nil, err
	}
	// A sharing instance that is down holds its pools' current size out
	// of the budget: the approver sees which, and a plan made again once
	// it is back (measured, no longer held) is not the one approved.
	fp := strings.Join(fps, " ")
	var held string
	if sh := a.data.Shared; sh != nil {
		for _, h := range sh.Held {
			held += "\n  " + h.Sentence()
			fp += " held:" + h.PHP
		}
	}
	summary := fmt.Sprintf("resize pools %s of PHP-FPM on %s to share %d MB (%s):%s\n  write %s\n  then %s, and check that every pool accepts connections\n  php-fpm's own test of the result passed",
		strings.Join(resized, ", "), b.cfg.Host, a.data.BudgetMB, a.data.BudgetSource, held, strings.Join(files, ", "), b.describe("reload"))
	// The fingerprint holds what would be written too: the advice rests on
	// samples, and an approver approves these sizes, not fresh ones.
	for _, c := range cs {
		fp += " " + digest(c.after)
	}
	return &ops.Plan{Summary: summary, Fingerprint: fp, Changes: changes, Effects: []string{"fpm.pool.edit"},
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := b.applyChanges(ctx, cs, fps); err != nil {
				return ops.Outcome{}, err
			}
			head := fmt.Sprintf("Resized pools %s on %s; php-fpm reloaded and every pool accepts connections.", strings.Join(resized, ", "), b.cfg.Host)
			out := ops.Parts(a.data, append([]ops.Part{ops.Prose(head)}, parts...)...)
			out.Changes = changes
			return out, nil
		}}, nil
}

// tuneChanges turns the advice into the changed files, one change per
// file however many of its pools change, and names the pools it resizes.
func (b *Backend) tuneChanges(a advice) ([]change, []string, error) {
	byPath := map[string]*change{}
	confs := map[string]*PoolFile{}
	var order, resized []string
	for _, p := range a.data.Pools {
		if p.Kept {
			continue
		}
		e := a.pools[p.Name]
		sets := sizeSettings(e.directives, p.AdvisedMaxChildren)
		if len(sets) == 0 {
			continue
		}
		pf := confs[e.file]
		if pf == nil {
			_, parsed, before, err := a.dir.editable(p.Name, b.cfg.Host)
			if err != nil {
				return nil, nil, err
			}
			pf = parsed
			confs[e.file] = pf
			byPath[e.file] = &change{path: e.file, before: before}
			order = append(order, e.file)
		}
		pf = &PoolFile{name: p.Name, conf: pf.conf} // the file's other pools' edits stay
		changed := map[string]bool{}
		for _, s := range sets {
			if err := pf.Set(s[0], s[1]); err != nil {
				return nil, nil, err
			}
			changed[s[0]] = true
		}
		cand := pf.candidate(changed)
		if err := validatePool(*cand, a.dir.pools); err != nil {
			return nil, nil, err
		}
		if err := b.checkPolicy(*cand); err != nil {
			return nil, nil, err
		}
		c := byPath[e.file]
		if c.pool == "" {
			// The history keeps a version under one pool: a file that
			// holds several resized pools is kept under its first.
			c.pool = p.Name
		}
		resized = append(resized, fmt.Sprintf("%s (%d → %d)", p.Name, p.CurrentMaxChildren, p.AdvisedMaxChildren))
	}
	sort.Strings(order)
	cs := make([]change, 0, len(order))
	for _, path := range order {
		c := byPath[path]
		c.after = confs[path].Bytes()
		cs = append(cs, *c)
	}
	return cs, resized, nil
}

// sizeSettings returns the directives, with their new values, that give a
// pool with directives d pm.max_children n: for pm dynamic, the spare
// servers too, as php-fpm requires 1 ≤ min_spare ≤ start ≤ max_spare ≤
// max_children. Spare counts that still fit are kept as they are.
func sizeSettings(d map[string]string, n int64) [][2]string {
	var out [][2]string
	set := func(key string, v int64) {
		if d[key] != strconv.FormatInt(v, 10) {
			out = append(out, [2]string{key, strconv.FormatInt(v, 10)})
		}
	}
	set("pm.max_children", n)
	if d["pm"] != "dynamic" && d["pm"] != "" {
		return out
	}
	num := func(key string, def int64) int64 {
		if v, err := strconv.ParseInt(d[key], 10, 64); err == nil && v > 0 {
			return v
		}
		return def
	}
	maxS := min(num("pm.max_spare_servers", n), n)
	minS := max(1, min(num("pm.min_spare_servers", 1), maxS))
	set("pm.max_spare_servers", maxS)
	set("pm.min_spare_servers", minS)
	if _, ok := d["pm.start_servers"]; ok {
		set("pm.start_servers", max(minS, min(num("pm.start_servers", minS), maxS)))
	}
	return out
}
