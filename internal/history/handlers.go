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
	// Section, when set, returns the part of a file that is name's own,
	// nil when the file does not hold name: for files that hold several
	// programs, where a rollback compares and restores that part alone
	// (passing it as content=, with rollback_path= and rollback_file=, the
	// version's file and its whole content, for what surrounds the part),
	// so that it never changes what the others hold. Nil: the whole file.
	Section func(name string, content []byte) []byte
}

// part returns what of content is name's.
func (f Files) part(name string, content []byte) []byte {
	if f.Section == nil || content == nil {
		return content
	}
	return f.Section(name, content)
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
func drift(path string, latest Version, now []byte, part func([]byte) []byte) string {
	if same(part(latest.Content), part(now)) {
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
	if d := drift(path, list[len(list)-1], now, func(c []byte) []byte { return f.part(name, c) }); d != "" {
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
	live, err := live(f.Path(name))
	if err != nil {
		return nil, ops.Fail(err, "could not read %s", f.Path(name))
	}
	now := f.part(name, live)
	target := list[len(list)-1]
	if v, ok := req.Op.Get("version"); ok {
		n, _ := strconv.Atoi(v)
		if target, err = h.s.Get(ctx, f.Kind, name, n); err != nil {
			return nil, ops.Invalidf("%s has no version %s", name, v)
		}
	} else if same(f.part(name, target.Content), now) {
		// Undo the last change: back to the version before it.
		if len(list) < 2 {
			return nil, ops.Invalidf("%s has only one version; give VERSION to restore", name)
		}
		target = list[len(list)-2]
	}
	want := f.part(name, target.Content)
	if same(want, now) {
		return nil, ops.Invalidf("%s already is version %d", name, target.N)
	}
	inner := ops.Operation{Target: name}
	var h2 ops.Handler
	switch {
	case want == nil:
		inner.Name, h2 = f.Ops[2], f.Delete
	case now == nil:
		inner.Name, h2 = f.Ops[1], f.Add
		inner.Args = []ops.Arg{{Key: "content", Value: string(want)}}
	default:
		inner.Name, h2 = f.Ops[0], f.Edit
		inner.Args = []ops.Arg{{Key: "content", Value: string(want)}}
	}
	if f.Section != nil && want != nil {
		inner.Args = append(inner.Args, ops.Arg{Key: "rollback_path", Value: target.Path},
			ops.Arg{Key: "rollback_file", Value: string(target.Content)})
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
		if d := drift(path, list[0], now, func(c []byte) []byte { return c }); d != "" {
			out.Append(ops.Prose(d))
		}
		return out, nil
	})
}
