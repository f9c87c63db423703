package history

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// sharedFiles stands for a backend whose files hold several items, one
// "name=value" line each: it records what a rollback plans through it.
type sharedFiles struct{ got *[]ops.Operation }

func (h sharedFiles) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	*h.got = append(*h.got, req.Op)
	return &ops.Plan{Summary: "planned", Apply: func(context.Context) (ops.Outcome, error) { return ops.Outcome{}, nil }}, nil
}

// sharedSection is the Files.Section of sharedFiles: an item's own line.
func sharedSection(name string, file []byte) []byte {
	for _, l := range strings.SplitAfter(string(file), "\n") {
		if strings.HasPrefix(l, name+"=") {
			return []byte(l)
		}
	}
	return nil
}

// TestRollbackOfSharedFile: with Files.Section, a rollback restores the item's
// own part and never the other items of its file, and an item deleted
// from a shared file is added back into that file.
func TestRollbackOfSharedFile(t *testing.T) {
	s := newStore(t, 50)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.conf")
	var got []ops.Operation
	h := sharedFiles{&got}
	f := Files{Kind: "fpm.pool", Path: func(string) string { return path }, Edit: h, Add: h, Delete: h,
		Ops: [3]string{"edit", "add", "delete"}, Section: sharedSection}
	history, rollback := s.Handlers(f)
	step := func(name, before, after string) {
		t.Helper()
		c := ops.FileChange{Kind: "fpm.pool", Name: name, Path: path, Before: []byte(before), After: []byte(after)}
		if err := s.Record(ctx, c, alice); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(after), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan := func(name string) ops.Operation {
		t.Helper()
		got = nil
		if _, err := rollback.Plan(ctx, ops.Request{Op: ops.Operation{Name: "rollback", Target: name}}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("planned %v", got)
		}
		return got[0]
	}

	step("a", "a=1\nb=1\n", "a=2\nb=1\n")
	step("b", "a=2\nb=1\n", "a=2\nb=2\n")
	out, err := history.Plan(ctx, ops.Request{Op: ops.Operation{Target: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := out.Apply(ctx); o.Data.(map[string]any)["drift"] != nil {
		t.Errorf("b's change counts as a drift of a: %s", o.Message)
	}
	if o := plan("a"); o.Name != "edit" || o.Args[0].Value != "a=1\n" || o.Args[1] != (ops.Arg{Key: "rollback_path", Value: path}) {
		t.Errorf("rollback of a planned %+v, want an edit to a=1 alone", o)
	}

	// b's write is the state a's delete starts from: a's history keeps it.
	step("a", "a=2\nb=2\n", "b=2\n")
	list, err := s.List(ctx, "fpm.pool", "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || string(list[2].Content) != "a=2\nb=2\n" || list[2].Operation != "supervisor.program.edit of b" {
		t.Errorf("versions of a: %+v", list)
	}
	if o := plan("a"); o.Name != "add" || o.Args[0].Value != "a=2\n" || o.Args[1] != (ops.Arg{Key: "rollback_path", Value: path}) ||
		o.Args[2] != (ops.Arg{Key: "rollback_file", Value: "a=2\nb=2\n"}) {
		t.Errorf("rollback of deleted a planned %+v, want an add of a=2 into %s", o, path)
	}
}
