package supervisor

import (
	"context"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// programDelete stops a program's group, removes it from supervisord and
// removes its file.
type programDelete struct{ b *Backend }

func (h programDelete) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := h.b
	name := b.groupProgram(req.Op.Target)
	if !ops.ValidName(name) {
		return nil, ops.Invalidf("%q is not a valid program name", name)
	}
	if isListener(name) {
		return nil, listenerRefused("deleted")
	}
	loc, cur, err := b.existingProgram(name)
	if err != nil {
		return nil, err
	}
	path, old := loc.path, loc.data
	edits, err := groupEdits(loc, cur)
	if err != nil {
		return nil, err
	}
	next, err := cur.withoutSection(edits)
	if err != nil {
		return nil, err
	}
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, b.userError(err, name)
	}
	procs := programProcs(all, loc)
	var lines []string
	for _, p := range procs {
		lines = append(lines, fmt.Sprintf("  stop and remove %s (%s)", displayName(p), p.StateName))
	}
	switch {
	case next == nil:
		lines = append(lines, "  remove "+path)
	default:
		lines = append(lines, fmt.Sprintf("  remove [program:%s] (line %d) from %s, keeping the rest of the file", name, cur.prog.line+1, path))
	}
	for _, g := range edits {
		lines = append(lines, fmt.Sprintf("  [%s] (line %d) lists programs=%s", g.sec.header, g.sec.line+1, strings.Join(g.list, ",")))
	}
	changes := []ops.FileChange{{Kind: ProgramKind, Name: name, Path: path, Before: old, After: next}}
	// Deleting a running program stops it: gated as a stop too, for
	// configurations that hold stop but not delete. Taking it out of a
	// [group:] restarts the group's other programs.
	var effects []string
	for _, p := range procs {
		if liveStates[p.StateName] {
			effects = []string{"supervisor.program.stop"}
			break
		}
	}
	if loc.inGroup() {
		lines = append(lines, fmt.Sprintf("  supervisord applies it by restarting group %s", loc.group))
		for _, p := range all {
			if p.Group == loc.group && liveStates[p.StateName] {
				effects = append(effects, "supervisor.program.restart")
				break
			}
		}
		procs = groupProcs(all, loc.group)
	}
	summary := fmt.Sprintf("delete program %s on %s:\n%s", name, b.cfg.Host, strings.Join(lines, "\n"))
	if next != nil || loc.inGroup() {
		// A file others share: written like an edit, reread, and the
		// group applied, with the file restored if supervisord refuses.
		c := fileChange{path: path, old: old, new: next}
		if err := b.daemonCheck(ctx, c); err != nil {
			return nil, err
		}
		return &ops.Plan{
			Effects: effects, Changes: changes, Summary: summary,
			Fingerprint: digest(old) + " " + fingerprint(procs, nil),
			Apply: func(ctx context.Context) (ops.Outcome, error) {
				if err := b.applyFile(ctx, c, loc.group); err != nil {
					return ops.Outcome{}, err
				}
				what := fmt.Sprintf("removed [program:%s] from %s", name, path)
				if next == nil {
					what = "removed " + path
				}
				return ops.Outcome{
					Message: fmt.Sprintf("Deleted program %s on %s: stopped it, %s.", name, b.cfg.Host, what),
					Data:    map[string]any{"deleted": name, "file": path},
					Changes: changes,
				}, nil
			},
		}, nil
	}
	return &ops.Plan{
		Effects:     effects,
		Changes:     changes,
		Summary:     summary,
		Fingerprint: digest(old) + " " + fingerprint(procs, nil),
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := b.removeGroup(ctx, name); err != nil {
				return ops.Outcome{}, err
			}
			if err := put(path, nil); err != nil {
				return ops.Outcome{}, ops.Fail(err, "stopped %s and removed it from supervisord, but could not remove %s, which is unchanged: "+
					"/supervisor delete %s tries again, /supervisor update %s runs it again", name, path, name, name)
			}
			if _, err := b.changes(context.WithoutCancel(ctx)); err != nil {
				_, msg := ops.UserError(err)
				// The delete is done on disk and in supervisord; say so, and
				// let the history record it.
				return ops.Outcome{}, &ops.Error{Status: ops.StatusFailed, Err: err, Changes: changes,
					Msg: fmt.Sprintf("stopped %s and removed %s, but supervisord could not reread its configuration (%s); "+
						"the delete is done, and /supervisor reread confirms it once supervisord answers", name, path, msg)}
			}
			return ops.Outcome{
				Message: fmt.Sprintf("Deleted program %s on %s: stopped %d process(es), removed %s.", name, b.cfg.Host, len(procs), path),
				Data:    map[string]any{"deleted": name, "file": path},
				Changes: changes,
			}, nil
		},
	}, nil
}

// groupEdits returns the [group:] sections that list loc's program, with
// their programs= lists as a delete leaves them. A group in another file,
// or one the delete would leave empty (supervisord refuses a group without
// programs), refuses the delete.
func groupEdits(loc progLoc, cur *ProgramFile) ([]groupEdit, error) {
	var out []groupEdit
	for _, g := range loc.groups {
		if g.path != loc.path {
			return nil, ops.Invalidf("program %s is in the [group:%s] of %s; poolvisor changes a group only in the file of the program, so take %s out of its programs= by hand first",
				loc.name, loc.group, g, loc.name)
		}
		for _, s := range cur.doc.sections {
			if s.line+1 != g.line {
				continue
			}
			opts := s.find("programs")
			var list []string
			for _, p := range splitList(opts[len(opts)-1].value()) {
				if p != loc.name {
					list = append(list, p)
				}
			}
			if len(list) == 0 {
				return nil, ops.Invalidf("program %s is the only program of [%s] (%s); deleting it would leave the group empty, which supervisord refuses: "+
					"remove the group by hand, or add another program to it first", loc.name, s.header, g)
			}
			out = append(out, groupEdit{sec: s, list: list})
		}
	}
	return out, nil
}

func groupProcs(all []ProcessInfo, group string) []ProcessInfo {
	var out []ProcessInfo
	for _, p := range all {
		if p.Group == group {
			out = append(out, p)
		}
	}
	return out
}
