package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// A shared file that changed between plan and apply is a conflict, and
// the change made meanwhile stays.
func TestHostConflict(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	p, err := plan(t, fx.b, "supervisor.program.edit", "mailer", ops.Arg{Key: "set", Value: "startsecs=4"})
	if err != nil {
		t.Fatal(err)
	}
	meanwhile := readFile(t, fx.apps) + "; someone was here\n"
	writeFile(t, fx.apps, []byte(meanwhile))
	_, err = p.Apply(context.Background())
	wantStatus(t, err, ops.StatusConflict)
	if got := readFile(t, fx.apps); got != meanwhile {
		t.Errorf("apps.ini:\n%s", got)
	}
}

// When supervisord refuses the configuration after a write (here another
// file was broken by hand, and supervisord's own check is skipped), the
// whole shared file goes back byte for byte and nothing was restarted.
func TestHostRestoresWhatSupervisordRefuses(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	writeFile(t, filepath.Join(fx.s.ProgramDir, "broken.conf"), []byte("[program:broken]\ncommand=/bin/true\nnumprocs=2\n"))
	files, pids := fx.snapshot(t), fx.pids(t)

	// With supervisord's own check, the write is refused before anything
	// is written.
	if supervisordPython() != "" {
		_, err := run(t, fx.b, "supervisor.program.edit", "mailer", ops.Arg{Key: "set", Value: "startsecs=5"})
		mustContain(t, "refusal", wantStatus(t, err, ops.StatusInvalid), "process_num")
		fx.unchanged(t, files, pids)
	}

	fx.b.python = func() string { return "" }
	fx.b.cfg.SkipDaemonCheck = true
	_, err := run(t, fx.b, "supervisor.program.edit", "mailer", ops.Arg{Key: "set", Value: "startsecs=5"})
	mustContain(t, "refusal", wantStatus(t, err, ops.StatusFailed), "rolled back", fx.apps+" is as it was")
	fx.unchanged(t, files, pids)
}

// A rollback restores the program's own section and leaves the others as
// they are now; a program deleted from a shared file comes back in it, in
// its group.
func TestHostRollback(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	ctx := context.Background()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := history.New(ctx, db, 50)
	if err != nil {
		t.Fatal(err)
	}
	hs := fx.b.Handlers()
	files := history.Files{
		Kind: ProgramKind, Path: fx.b.ProgramPath, Section: ProgramSection,
		Edit: hs["supervisor.program.edit"], Add: hs["supervisor.program.add"], Delete: hs["supervisor.program.delete"],
		Ops: [3]string{"supervisor.program.edit", "supervisor.program.add", "supervisor.program.delete"},
	}
	_, rollback := store.Handlers(files)
	// apply runs h as the pipeline does: plan, apply, record the versions.
	apply := func(h ops.Handler, target string, args ...ops.Arg) {
		t.Helper()
		p, err := h.Plan(ctx, ops.Request{Op: ops.Operation{Target: target, Args: args}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Apply(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out.Changes {
			if err := store.Record(ctx, c, ops.VersionMeta{Operation: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	orig := readFile(t, fx.apps)
	apply(hs["supervisor.program.edit"], "mailer", ops.Arg{Key: "set", Value: "startsecs=6"})
	apply(hs["supervisor.program.edit"], "worker", ops.Arg{Key: "set", Value: "startsecs=7"})
	workerEdited := strings.Replace(orig, "startsecs=0\n", "startsecs=7\n", 1)

	// Back to mailer's version before its edit: worker keeps its edit.
	apply(rollback, "mailer")
	if got := readFile(t, fx.apps); got != workerEdited {
		t.Fatalf("after the rollback of mailer:\n%s\nwant:\n%s", got, workerEdited)
	}
	rpcWaitState(t, fx.b.client, "jobs:mailer", "RUNNING")

	// Delete worker, roll back: its section is back in apps.ini and in
	// group jobs; mailer's section is untouched.
	apply(hs["supervisor.program.delete"], "worker")
	apply(rollback, "worker")
	got := readFile(t, fx.apps)
	if !strings.HasPrefix(got, "; Jobs of the shop, kept by hand.\n"+mailerSection+"\n# the workers, two of them\n\n[group:jobs]\n") ||
		!strings.Contains(got, "programs = mailer,worker   ; both run together\n") || !strings.Contains(got, "[program:worker]\n") ||
		!strings.Contains(got, "startsecs=7\n") {
		t.Fatalf("after the rollback of the delete:\n%s", got)
	}
	rpcWaitState(t, fx.b.client, "jobs:worker_01", "RUNNING")
	if c, err := fx.b.changes(ctx); err != nil || !c.empty() {
		t.Errorf("supervisord has changes pending: %v %v", c, err)
	}
}

// A new program gets a file of its own in program_dir, with the extension
// of the include glob over it (*.ini, as on RHEL's /etc/supervisord.d).
func TestHostAddIni(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	fx.b.cfg.ProgramDir = filepath.Dir(fx.apps)
	_, err := run(t, fx.b, "supervisor.program.add", "fresh", ops.Arg{Key: "command", Value: rpcSleeperCmd},
		ops.Arg{Key: "set", Value: "startsecs=0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fx.b.cfg.ProgramDir, "fresh.ini")); err != nil {
		t.Fatal(err)
	}
	rpcWaitState(t, fx.b.client, "fresh:fresh", "RUNNING")
	// A name already defined anywhere is refused.
	_, err = run(t, fx.b, "supervisor.program.add", "mailer", ops.Arg{Key: "command", Value: rpcSleeperCmd})
	mustContain(t, "refusal", wantStatus(t, err, ops.StatusInvalid), "already defined in "+fx.apps+":2")
}

// Two writers (two poolvisor processes: two backends, each with its own
// lock file descriptor) editing different programs of one shared file at
// once: every write ends ok or conflict, and every ok is in the file.
func TestHostConcurrentWritersOfOneFile(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	other := newBackend(t, fx.s, 5e9)
	type edit struct {
		b                *Backend
		prog, key, value string
	}
	edits := []edit{
		{fx.b, "mailer", "startretries", "5"}, {other, "worker", "stopwaitsecs", "7"},
		{other, "mailer", "priority", "990"}, {fx.b, "worker", "startsecs", "2"},
	}
	ok := make([]bool, len(edits))
	var wg sync.WaitGroup
	for i, e := range edits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := run(t, e.b, "supervisor.program.edit", e.prog, ops.Arg{Key: "set", Value: e.key + "=" + e.value})
			var oe *ops.Error
			switch {
			case err == nil:
				ok[i] = true
			case errors.As(err, &oe) && oe.Status == ops.StatusConflict:
			default:
				t.Errorf("%s %s: %v", e.prog, e.key, err)
			}
		}()
	}
	wg.Wait()
	final := readFile(t, fx.apps)
	kept := 0
	for i, e := range edits {
		if !ok[i] {
			continue
		}
		kept++
		if !strings.Contains(final, e.key) || !strings.Contains(final, e.value) {
			t.Errorf("%s %s=%s answered ok but is not in the file:\n%s", e.prog, e.key, e.value, final)
		}
	}
	if kept == 0 {
		t.Errorf("no write went through:\n%s", final)
	}
}
