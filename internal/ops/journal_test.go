package ops_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// fileWrite is a write of one file whose content the test gives as --command.
type fileWrite struct{ path string }

func (w fileWrite) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	old, err := os.ReadFile(w.path)
	if os.IsNotExist(err) {
		old, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	next, _ := req.Op.Get("command")
	return &ops.Plan{
		Summary: "write " + w.path,
		Changes: []ops.FileChange{{Kind: "supervisor.program", Name: req.Op.Target, Path: w.path, Before: old, After: []byte(next)}},
		Apply: func(context.Context) (ops.Outcome, error) {
			return ops.Outcome{Message: "written"}, os.WriteFile(w.path, []byte(next), 0o600)
		},
	}, nil
}

type journalFixture struct {
	p        *ops.Pipeline
	trail    *audit.Log
	versions *history.Store
	dir      string
}

func newJournalFixture(t *testing.T, lease string) *journalFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlitedb.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	trail, err := audit.New(ctx, db, filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	versions, err := history.New(ctx, db, 10)
	if err != nil {
		t.Fatal(err)
	}
	policy := authz.New(map[string][]string{"admin": {"*"}}, []authz.Binding{{Role: "admin", Users: map[string][]string{"local": []string{"alice"}}}})
	p := ops.New(ops.Config{
		Host: "web-01", Parser: command.Parser{}, Authz: policy, Audit: trail, History: versions,
		Journal: trail, Lease: lease,
		Handlers: map[string]ops.Handler{"supervisor.program.edit": fileWrite{filepath.Join(dir, "web.conf")}},
	})
	return &journalFixture{p: p, trail: trail, versions: versions, dir: dir}
}

// A write is journaled before it is applied: the trail's mirror holds the
// started entry, with the files' digests, then the outcome under the same
// write id; /ops audit shows the outcome only, and nothing stays unfinished.
func TestWriteIsJournaledBeforeApplied(t *testing.T) {
	f := newJournalFixture(t, "0123456789abcdef")
	ctx := context.Background()
	if res := f.p.Run(ctx, alice, "supervisor edit web --command new"); res.Status != ops.StatusOK {
		t.Fatalf("edit: %s %s", res.Status, res.Message)
	}
	mirror, err := os.ReadFile(filepath.Join(f.dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []ops.AuditEntry
	sc := bufio.NewScanner(strings.NewReader(string(mirror)))
	for sc.Scan() {
		var e ops.AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, e)
	}
	if len(lines) != 2 || lines[0].Status != ops.AuditStarted || lines[1].Status != ops.StatusOK ||
		lines[0].Write == 0 || lines[1].Write != lines[0].Write {
		t.Fatalf("mirror:\n%s", mirror)
	}
	want := ops.FileDigest{Path: filepath.Join(f.dir, "web.conf"), Before: ops.Absent, After: ops.Digest([]byte("new"))}
	if len(lines[0].Files) != 1 || lines[0].Files[0] != want {
		t.Errorf("started entry files %+v, want %+v", lines[0].Files, want)
	}
	recent, _ := f.trail.Recent(ctx, 10)
	if len(recent) != 1 || recent[0].Status != ops.StatusOK {
		t.Errorf("recent: %+v", recent)
	}
	if open, _ := f.trail.Unfinished(ctx); len(open) != 0 {
		t.Errorf("unfinished after the outcome: %+v", open)
	}
}

// Writes begun by a process that died are settled by the next one after
// what it finds on disk; a live process's write is left alone, and a
// second reconcile finds nothing more to do.
func TestReconcileInterruptedWrites(t *testing.T) {
	const dead, live = "dddddddddddddddd", "aaaaaaaaaaaaaaaa"
	f := newJournalFixture(t, "0123456789abcdef")
	ctx := context.Background()
	write := func(name, disk string, owner string) {
		t.Helper()
		path := filepath.Join(f.dir, name+".conf")
		if disk != "" {
			if err := os.WriteFile(path, []byte(disk), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		in := ops.Intent{Owner: owner, Actor: alice,
			Entry: ops.AuditEntry{Time: time.Now().UTC(), Actor: "local:alice", Operation: "supervisor.program.add",
				Target: name, Status: ops.AuditStarted},
			Changes: []ops.FileChange{{Kind: "supervisor.program", Name: name, Path: path, After: []byte("[program:" + name + "]\n")}}}
		if _, err := f.trail.Begin(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	write("applied", "[program:applied]\n", dead)
	write("notapplied", "", dead)
	litter := filepath.Join(f.dir, ".notapplied.conf.42.poolvisor-tmp") // killed inside atomicfile.WriteFile
	if err := os.WriteFile(litter, []byte("[program:notapplied]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write("garbled", "[program:garb", dead)
	write("running", "", live)

	entries, err := f.p.Reconcile(ctx, func(owner string) bool { return owner == live })
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, e := range entries {
		if e.Status != ops.AuditInterrupted || e.Write == 0 {
			t.Errorf("entry %+v", e)
		}
		found[e.Target] = e.Found
	}
	want := map[string]string{"applied": ops.FoundApplied, "notapplied": ops.FoundNotApplied, "garbled": ops.FoundUnknown}
	if len(found) != 3 || found["applied"] != want["applied"] || found["notapplied"] != want["notapplied"] || found["garbled"] != want["garbled"] {
		t.Errorf("found %v, want %v", found, want)
	}
	if _, err := os.Stat(litter); !os.IsNotExist(err) {
		t.Errorf("half-written temporary file left: %v", err)
	}
	list, err := f.versions.List(ctx, "supervisor.program", "applied")
	if err != nil || len(list) != 1 || list[0].Operation != "supervisor.program.add (interrupted)" || list[0].Actor != "local:alice" {
		t.Errorf("history of the applied write: %+v %v", list, err)
	}
	if other, _ := f.versions.List(ctx, "supervisor.program", "notapplied"); len(other) != 0 {
		t.Errorf("a write not applied was recorded: %+v", other)
	}
	open, _ := f.trail.Unfinished(ctx)
	if len(open) != 1 || open[0].Entry.Target != "running" {
		t.Errorf("unfinished: %+v", open)
	}
	if again, err := f.p.Reconcile(ctx, func(owner string) bool { return owner == live }); err != nil || len(again) != 0 {
		t.Errorf("second reconcile: %+v %v", again, err)
	}

	res := f.p.Run(ctx, alice, "ops audit")
	for _, s := range []string{"interrupted (applied)", "interrupted (not applied)", "interrupted (unknown state)", "started", "recorded in the history"} {
		if !strings.Contains(res.Message, s) {
			t.Errorf("/ops audit lacks %q:\n%s", s, res.Message)
		}
	}
}
