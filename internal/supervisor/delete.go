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
	b, name := h.b, req.Op.Target
	if !ops.ValidName(name) {
		return nil, ops.Invalidf("%q is not a valid program name", name)
	}
	if isListener(name) {
		return nil, listenerRefused("deleted")
	}
	path := b.programPath(name)
	old, err := readIfExists(path)
	if err != nil {
		return nil, ops.Fail(err, "could not read %s", path)
	}
	if _, err := b.existingProgram(name, old); err != nil {
		return nil, err
	}
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, b.userError(err, name)
	}
	var procs []ProcessInfo
	var lines []string
	for _, p := range all {
		if p.Group == name {
			procs = append(procs, p)
			lines = append(lines, fmt.Sprintf("  stop and remove %s (%s)", displayName(p), p.StateName))
		}
	}
	lines = append(lines, "  remove "+path)
	changes := []ops.FileChange{{Kind: ProgramKind, Name: name, Path: path, Before: old}}
	// Deleting a running program stops it: gated as a stop too, for
	// configurations that hold stop but not delete.
	var effects []string
	for _, p := range procs {
		if liveStates[p.StateName] {
			effects = []string{"supervisor.program.stop"}
			break
		}
	}
	return &ops.Plan{
		Effects:     effects,
		Changes:     changes,
		Summary:     fmt.Sprintf("delete program %s on %s:\n%s", name, b.cfg.Host, strings.Join(lines, "\n")),
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
