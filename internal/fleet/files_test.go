package fleet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// The program files of a lightweight agent: real files in a directory of
// its own, written by edit, add and delete handlers, with the real history
// (SQLite) and its rollback handler over them, as internal/app wires them.

const programKind = "supervisor.program"

var programOps = ops.FileOps{
	Show: "supervisor.program.show", Edit: "supervisor.program.edit",
	Add: "supervisor.program.add", Delete: "supervisor.program.delete",
	History: "supervisor.program.history", Rollback: "supervisor.program.rollback",
}

type fileHost struct {
	dir      string
	versions *history.Store
	// fail makes every file write's apply fail, after a plan that passed,
	// having written nothing: a host that fails mid-roll.
	fail atomic.Bool
	// failUndo does so for the writes of a rollback (those given content=).
	failUndo atomic.Bool
	// onFail, when set, runs as a failing apply fails: what happens
	// elsewhere meanwhile.
	onFail func()
}

func newFileHost(t testing.TB, host string) *fileHost {
	t.Helper()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	versions, err := history.New(context.Background(), db, 10)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), host)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &fileHost{dir: dir, versions: versions}
}

func (f *fileHost) path(name string) string { return filepath.Join(f.dir, name+".conf") }

func (f *fileHost) read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(f.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fileHost) write(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(f.path(name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// add adds the file handlers to h.
func (f *fileHost) add(h map[string]ops.Handler) map[string]ops.Handler {
	h[programOps.Edit] = f.writer(programOps.Edit)
	h[programOps.Add] = f.writer(programOps.Add)
	h[programOps.Delete] = f.writer(programOps.Delete)
	files := history.Files{Kind: programKind, Path: f.path,
		Edit: h[programOps.Edit], Add: h[programOps.Add], Delete: h[programOps.Delete],
		Ops: [3]string{programOps.Edit, programOps.Add, programOps.Delete}}
	h[programOps.History], h[programOps.Rollback] = f.versions.Handlers(files)
	return h
}

// writer plans and applies an edit (--set LINE, or content=), an add
// (--command, or content=) or a delete of a program file.
func (f *fileHost) writer(op string) ops.Handler {
	return handlerFunc(func(_ context.Context, req ops.Request) (*ops.Plan, error) {
		name := req.Op.Target
		before, err := os.ReadFile(f.path(name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		exists := err == nil
		if !exists {
			before = nil
		}
		var after []byte
		content, whole := req.Op.Get("content")
		switch op {
		case programOps.Edit:
			if !exists {
				return nil, ops.Invalidf("no program %q", name)
			}
			set, _ := req.Op.Get("set")
			after = []byte(fmt.Sprintf("[program:%s]\n%s\n", name, set))
		case programOps.Add:
			if exists {
				return nil, ops.Invalidf("program %q exists", name)
			}
			command, _ := req.Op.Get("command")
			after = []byte(fmt.Sprintf("[program:%s]\ncommand=%s\n", name, command))
		case programOps.Delete:
			if !exists {
				return nil, ops.Invalidf("no program %q", name)
			}
		}
		if whole {
			after = []byte(content)
		}
		c := ops.FileChange{Kind: programKind, Name: name, Path: f.path(name), Before: before, After: after}
		return &ops.Plan{Summary: op + " " + name, Fingerprint: fmt.Sprintf("%x", sha256.Sum256(before)), Changes: []ops.FileChange{c},
			Apply: func(context.Context) (ops.Outcome, error) {
				if f.fail.Load() || (whole && f.failUndo.Load()) {
					if f.onFail != nil {
						f.onFail()
					}
					return ops.Outcome{}, ops.Failedf("%s of %s failed: the daemon refused it", op, name)
				}
				if after == nil {
					err = os.Remove(c.Path)
				} else {
					err = os.WriteFile(c.Path, after, 0o644)
				}
				if err != nil {
					return ops.Outcome{}, err
				}
				return ops.Outcome{Message: op + " " + name + " done", Changes: []ops.FileChange{c}}, nil
			}}, nil
	})
}
