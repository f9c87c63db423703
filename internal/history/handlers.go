package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/poolvisor/poolvisor/internal/diff"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Files tells the history where a backend keeps the file of a program or
// pool, and which operations write it.
type Files struct {
	Kind   string                   // "supervisor.program", "fpm.pool"
	Path   func(name string) string // the live file of name
	Edit   ops.Handler              // takes Args content=<whole file>
	Add    ops.Handler              // takes Args content=<whole file>
	Delete ops.Handler
	Ops    [3]string // the operation names of Edit, Add and Delete
}

// Parter is implemented by the Edit handler of a backend whose files may
// hold several programs or pools. Part returns name's own part of a
// version of its file (the whole file when name has it alone), and false
// when that version does not hold name. The history then compares and
// restores that part only, so that rolling one back never changes the
// others in the same file, and a part brought back after a delete goes
// into the file it was deleted from (Args file and file_version, the whole
// version, with the Add handler).
type Parter interface {
	Part(name string, file []byte) ([]byte, bool)
}

// view returns how f's history sees a version of name's file: the part
// that is name's own when f's files are shared, else the whole file.
func (f Files) view(name string) func([]byte) []byte {
	p, ok := f.Edit.(Parter)
	if !ok {
		return func(b []byte) []byte { return b }
	}
	return func(b []byte) []byte {
		if b == nil {
			return nil
		}
		if part, ok := p.Part(name, b); ok {
			return part
		}
		return nil
	}
}

// Handlers returns the history and rollback handlers for f.
func (s *Store) Handlers(f Files) (history, rollback ops.Handler) {
	return ops.ReadFunc(func(ctx context.Context, req ops.Request) (ops.Outcome, error) {
		return s.history(ctx, f, req)
	}), rollbackHandler{s: s, f: f}
}

func live(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// drift describes how the live file differs from the newest version, or "".
func drift(path string, latest Version, now []byte) string {
	if same(latest.Content, now) {
		return ""
	}
	text, _, _ := diff.Unified(path, latest.Content, now)
	return fmt.Sprintf("%s was changed outside poolvisor since version %d (the next write keeps that state as a version):\n%s",
		path, latest.N, strings.TrimRight(text, "\n"))
}

func (s *Store) history(ctx context.Context, f Files, req ops.Request) (ops.Outcome, error) {
	name := req.Op.Target
	path := f.Path(name)
	list, err := s.List(ctx, f.Kind, name)
	if err != nil {
		return ops.Outcome{}, ops.Fail(err, "could not read the history of %s", name)
	}
	now, err := live(path)
	if err != nil {
		return ops.Outcome{}, ops.Fail(err, "could not read %s", path)
	}
	if v, ok := req.Op.Get("version"); ok {
		return s.showVersion(ctx, f, name, v, now)
	}
	if len(list) == 0 {
		msg := fmt.Sprintf("No versions of %s recorded yet: poolvisor records one with every write.", name)
		return ops.Outcome{Message: msg, Data: map[string]any{"versions": []Version{}}}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Versions of %s (%s), oldest first:\n", name, path)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	var prev []byte
	for _, v := range list {
		_, add, del := diff.Unified(path, prev, v.Content)
		line := fmt.Sprintf("  %d\t%s\t%s\t%s\t+%d -%d", v.N, v.Time.UTC().Format("2006-01-02 15:04:05"), v.Actor, v.Operation, add, del)
		if v.Deleted {
			line += "\t(deleted)"
		}
		if v.Approver != "" {
			line += "\tapproved by " + v.Approver
		}
		fmt.Fprintln(w, line)
		prev = v.Content
	}
	w.Flush()
	data := map[string]any{"versions": list}
	view, latest := f.view(name), list[len(list)-1]
	latest.Content = view(latest.Content)
	if d := drift(path, latest, view(now)); d != "" {
		b.WriteString(d)
		data["drift"] = true
	}
	return ops.Outcome{Message: strings.TrimRight(b.String(), "\n"), Data: data}, nil
}

func (s *Store) showVersion(ctx context.Context, f Files, name, arg string, now []byte) (ops.Outcome, error) {
	n, _ := strconv.Atoi(arg)
	v, err := s.Get(ctx, f.Kind, name, n)
	if errors.Is(err, ErrNoVersion) {
		return ops.Outcome{}, ops.Invalidf("%s has no version %s (see /supervisor history %s)", name, arg, name)
	} else if err != nil {
		return ops.Outcome{}, ops.Fail(err, "could not read version %d of %s", n, name)
	}
	head := fmt.Sprintf("Version %d of %s, by %s through %s at %s", v.N, name, v.Actor, v.Operation, v.Time.UTC().Format("2006-01-02 15:04:05"))
	body := "(the file did not exist)"
	if !v.Deleted {
		body = diff.Mask(string(v.Content))
	}
	text, _, _ := diff.Unified(v.Path, v.Content, now)
	if text == "" {
		text = "(the live file is the same)"
	}
	msg := fmt.Sprintf("%s:\n%s\nFrom it to the live file:\n%s", head, strings.TrimRight(body, "\n"), strings.TrimRight(text, "\n"))
	return ops.Outcome{Message: msg, Data: map[string]any{"version": v, "content": body, "diff_to_live": text}}, nil
}

// rollbackHandler restores a version through the backend's own validated
// write path: the restored file is checked, applied and recorded like any
// edit, and is itself a new version.
type rollbackHandler struct {
	s *Store
	f Files
}

func (h rollbackHandler) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	name, f := req.Op.Target, h.f
	list, err := h.s.List(ctx, f.Kind, name)
	if err != nil {
		return nil, ops.Fail(err, "could not read the history of %s", name)
	}
	if len(list) == 0 {
		return nil, ops.Invalidf("no versions of %s are recorded, so there is nothing to roll back to", name)
	}
	now, err := live(f.Path(name))
	if err != nil {
		return nil, ops.Fail(err, "could not read %s", f.Path(name))
	}
	view := f.view(name)
	now = view(now)
	target := list[len(list)-1]
	if v, ok := req.Op.Get("version"); ok {
		n, _ := strconv.Atoi(v)
		if target, err = h.s.Get(ctx, f.Kind, name, n); err != nil {
			return nil, ops.Invalidf("%s has no version %s", name, v)
		}
	} else if same(view(target.Content), now) {
		// Undo the last change: back to the version before it.
		if len(list) < 2 {
			return nil, ops.Invalidf("%s has only one version; give VERSION to restore", name)
		}
		target = list[len(list)-2]
	}
	content := view(target.Content)
	if same(content, now) {
		return nil, ops.Invalidf("%s already is version %d", name, target.N)
	}
	inner := ops.Operation{Target: name}
	var h2 ops.Handler
	switch {
	case content == nil:
		inner.Name, h2 = f.Ops[2], f.Delete
	case now == nil:
		inner.Name, h2 = f.Ops[1], f.Add
		inner.Args = []ops.Arg{{Key: "content", Value: string(content)}}
		if _, parted := f.Edit.(Parter); parted {
			// The whole version lets the backend put the part back where
			// it stood, when nothing else in the file changed since.
			inner.Args = append(inner.Args, ops.Arg{Key: "file", Value: target.Path},
				ops.Arg{Key: "file_version", Value: string(target.Content)})
		}
	default:
		inner.Name, h2 = f.Ops[0], f.Edit
		inner.Args = []ops.Arg{{Key: "content", Value: string(content)}}
	}
	plan, err := h2.Plan(ctx, ops.Request{Actor: req.Actor, Op: inner})
	if err != nil {
		return nil, err
	}
	plan.Summary = fmt.Sprintf("roll %s back to version %d (%s by %s):\n%s", name, target.N, target.Operation, target.Actor, plan.Summary)
	plan.Fingerprint += fmt.Sprintf(" rollback-to %d", target.N)
	// A rollback is gated by what it does: the delete, add or edit it
	// amounts to, and whatever that amounts to in turn.
	plan.Effects = append([]string{inner.Name}, plan.Effects...)
	return plan, nil
}

// WithDrift wraps a show handler: when the live file differs from the last
// version poolvisor recorded (someone edited it by hand), the answer says so
// and shows the difference.
func (s *Store) WithDrift(show ops.Handler, f Files) ops.Handler {
	return ops.ReadFunc(func(ctx context.Context, req ops.Request) (ops.Outcome, error) {
		plan, err := show.Plan(ctx, req)
		if err != nil {
			return ops.Outcome{}, err
		}
		out, err := plan.Apply(ctx)
		if err != nil {
			return out, err
		}
		path := f.Path(req.Op.Target)
		list, err := query(ctx, s.db, `WHERE path = ? ORDER BY n DESC LIMIT 1`, path)
		if err != nil || len(list) == 0 {
			return out, nil // never written by poolvisor: nothing to compare with
		}
		now, err := live(path)
		if err != nil {
			return out, nil
		}
		if d := drift(path, list[0], now); d != "" {
			out.Message += "\n" + d
		}
		return out, nil
	})
}
