package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

const mailerSection = "[program:mailer]\n" +
	"command = /bin/sh -c \"while true; do sleep 600; done\"   ; sends the mail\n" +
	"startsecs = 0\n" +
	"autorestart=true\n"

// Programs in a [group:] show as GROUP:NAME, and show takes either form,
// giving the file that defines the program and, for the raw form, only
// the program's own lines.
func TestHostShow(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	out, err := run(t, fx.b, "supervisor.program.list", "")
	if err != nil {
		t.Fatal(err)
	}
	got := states(out)
	for _, p := range []string{"jobs:mailer", "jobs:worker_00", "jobs:worker_01", "cron", "mainprog"} {
		if got[p] != "RUNNING" {
			t.Errorf("status: %s is %q: %v", p, got[p], got)
		}
	}
	for _, target := range []string{"mailer", "jobs:mailer"} {
		out, err := run(t, fx.b, "supervisor.program.show", target)
		if err != nil {
			t.Fatalf("show %s: %v", target, err)
		}
		prog := out.Data.(map[string]any)["program"].(ops.Program)
		if prog.File != fx.apps || prog.Content != mailerSection || prog.Directives["startsecs"] != "0" {
			t.Errorf("show %s: file %s, content %q, directives %v", target, prog.File, prog.Content, prog.Directives)
		}
		if len(prog.Processes) != 1 || prog.Processes[0].Name != "jobs:mailer" {
			t.Errorf("show %s: processes %v", target, prog.Processes)
		}
		mustContain(t, "show "+target, out.Message, "group jobs")
	}
	out, err = run(t, fx.b, "supervisor.program.show", "worker")
	if err != nil {
		t.Fatal(err)
	}
	if prog := out.Data.(map[string]any)["program"].(ops.Program); len(prog.Processes) != 2 || prog.Directives["numprocs"] != "2" {
		t.Errorf("show worker: %v %v", prog.Processes, prog.Directives)
	}
	// Control takes the program's name when it stands for one process.
	before := rpcWaitState(t, fx.b.client, "jobs:mailer", "RUNNING")
	if _, err := run(t, fx.b, "supervisor.program.restart", "mailer"); err != nil {
		t.Fatal(err)
	}
	if after := rpcWaitState(t, fx.b.client, "jobs:mailer", "RUNNING"); after.PID == before.PID {
		t.Error("restart mailer did not restart jobs:mailer")
	}
	_, err = run(t, fx.b, "supervisor.program.restart", "worker")
	mustContain(t, "refusal", wantStatus(t, err, ops.StatusInvalid), "jobs:worker_00", "jobs:*")

	out, err = run(t, fx.b, "supervisor.program.show", "cron")
	if err != nil {
		t.Fatal(err)
	}
	if prog := out.Data.(map[string]any)["program"].(ops.Program); prog.File != fx.cron || prog.Content != string(readFixture(t, "daemon-482913.conf")) {
		t.Errorf("show cron: %s %q", prog.File, prog.Content)
	}
	out, err = run(t, fx.b, "supervisor.program.show", "mainprog")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "show mainprog", out.Message, "not editable here", "supervisor.edit_main_config")
}

// An edit changes the program's own lines in the file that defines it and
// nothing else; a program in a [group:] is applied as that group.
func TestHostEditInPlace(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	apps := string(readFixture(t, "apps.ini"))

	p, err := plan(t, fx.b, "supervisor.program.edit", "mailer", ops.Arg{Key: "set", Value: "startsecs=3"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Effects, "supervisor.program.restart") || p.Changes[0].Path != fx.apps {
		t.Errorf("plan: effects %v, changes %v", p.Effects, p.Changes[0].Path)
	}
	mustContain(t, "summary", p.Summary, "group jobs")
	if _, err := p.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	apps = strings.Replace(apps, "startsecs = 0\n", "startsecs = 3\n", 1)
	if got := readFile(t, fx.apps); got != apps {
		t.Fatalf("apps.ini:\n%s\nwant:\n%s", got, apps)
	}
	rpcWaitState(t, fx.b.client, "jobs:mailer", "RUNNING")

	// GROUP:NAME names the program too.
	if _, err := run(t, fx.b, "supervisor.program.edit", "jobs:mailer", ops.Arg{Key: "set", Value: "autorestart=false"}); err != nil {
		t.Fatal(err)
	}
	apps = strings.Replace(apps, "autorestart=true\n", "autorestart=false\n", 1)
	if got := readFile(t, fx.apps); got != apps {
		t.Fatalf("apps.ini:\n%s\nwant:\n%s", got, apps)
	}

	// A raw edit of worker's section replaces that section alone.
	section := "[program:worker]\ncommand=/bin/sh -c \"while true; do sleep 600; done\"\nnumprocs = 2\n" +
		"process_name=%(program_name)s_%(process_num)02d\nstartsecs=1\n"
	if _, err := run(t, fx.b, "supervisor.program.edit", "worker", ops.Arg{Key: "content", Value: section}); err != nil {
		t.Fatal(err)
	}
	from := strings.Index(apps, "[program:worker]")
	to := strings.Index(apps, "startsecs=0\n") + len("startsecs=0\n")
	apps = apps[:from] + section + apps[to:]
	if got := readFile(t, fx.apps); got != apps {
		t.Fatalf("apps.ini:\n%s\nwant:\n%s", got, apps)
	}
	rpcWaitState(t, fx.b.client, "jobs:worker_01", "RUNNING")

	// A program in a file named otherwise.
	if _, err := run(t, fx.b, "supervisor.program.edit", "cron", ops.Arg{Key: "set", Value: "startsecs=2"}); err != nil {
		t.Fatal(err)
	}
	cron := strings.Replace(string(readFixture(t, "daemon-482913.conf")), "startsecs=0", "startsecs=2", 1)
	if got := readFile(t, fx.cron); got != cron {
		t.Errorf("daemon-482913.conf:\n%s", got)
	}
	if c, err := fx.b.changes(context.Background()); err != nil || !c.empty() {
		t.Errorf("supervisord has changes pending: %v %v", c, err)
	}
}

// What an editor of one program sends cannot reach another section, a
// group or supervisord itself: nothing is written, nothing reread.
func TestHostHostileEdits(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	files, pids := fx.snapshot(t), fx.pids(t)
	raw := func(s string) ops.Arg { return ops.Arg{Key: "content", Value: s} }
	for _, c := range []struct {
		name, target string
		arg          ops.Arg
		want         string
	}{
		{"another program", "mailer", raw(mailerSection + "[program:worker]\ncommand=/bin/true\n"), "only the section [program:mailer]"},
		{"the group", "mailer", raw(mailerSection + "[group:jobs]\nprograms=mailer\n"), "[group:jobs]"},
		{"a DEFAULT section", "mailer", raw("[DEFAULT]\nuser=root\n" + mailerSection), "DEFAULT"},
		{"supervisord itself", "cron", raw("[program:cron]\ncommand=/bin/true\n[supervisord]\nuser=root\n"), "[supervisord]"},
		{"another program spaced", "mailer", raw(mailerSection + "  [ program:worker ]\n"), ""},
		{"a lone CR", "mailer", raw(mailerSection + "\r[program:evil]\rcommand=/bin/true\r"), "[program:evil]"},
		{"a vertical tab", "mailer", raw(mailerSection + "\v[program:evil]\n"), "U+000B"},
		{"another program's name", "mailer", raw("[program:worker]\ncommand=/bin/true\n"), ""},
		{"a section by --set", "mailer", ops.Arg{Key: "set", Value: "startsecs=1\n[program:evil]"}, ""},
		{"a group key", "mailer", ops.Arg{Key: "set", Value: "programs=evil"}, ""},
		{"an odd name", "mailer]\n[program:evil", ops.Arg{Key: "set", Value: "startsecs=1"}, "not a valid program name"},
		{"a path name", "../mailer", ops.Arg{Key: "set", Value: "startsecs=1"}, "not a valid program name"},
		// Python lower-cases İ (U+0130) to "i" and a combining dot, Go to
		// "i": the second line must not pass for the log file supervisord
		// writes (it writes the first, as root).
		{"a dotted capital I", "mailer", raw(mailerSection + "stdout_logfile=/etc/cron.d/poolvisor-evil\nstdout_logf\u0130le=" +
			filepath.Join(fx.s.LogDir, "mailer.log") + "\n"), "has no key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, fx.b, "supervisor.program.edit", c.target, c.arg)
			if msg := wantStatus(t, err, ops.StatusInvalid); c.want != "" {
				mustContain(t, "refusal", msg, c.want)
			}
		})
	}
	fx.unchanged(t, files, pids)
	if c, err := fx.b.changes(context.Background()); err != nil || !c.empty() {
		t.Errorf("supervisord has changes pending: %v %v", c, err)
	}
}

// Delete takes the program's section out of its file and out of its
// group's programs= in the same write; it refuses to leave a group empty;
// a file with nothing but comments left goes away.
func TestHostDelete(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	p, err := plan(t, fx.b, "supervisor.program.delete", "worker")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Effects, "supervisor.program.stop") || !slices.Contains(p.Effects, "supervisor.program.restart") {
		t.Errorf("effects %v", p.Effects)
	}
	if _, err := p.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "; Jobs of the shop, kept by hand.\n" + mailerSection + "\n# the workers, two of them\n\n" +
		"[group:jobs]\nprograms = mailer   ; both run together\npriority=900\n"
	if got := readFile(t, fx.apps); got != want {
		t.Fatalf("apps.ini:\n%s\nwant:\n%s", got, want)
	}
	pids := fx.pids(t)
	if _, ok := pids["jobs:worker_00"]; ok {
		t.Errorf("worker still runs: %v", pids)
	}
	rpcWaitState(t, fx.b.client, "jobs:mailer", "RUNNING")

	files, pids := fx.snapshot(t), fx.pids(t)
	_, err = run(t, fx.b, "supervisor.program.delete", "mailer")
	mustContain(t, "refusal", wantStatus(t, err, ops.StatusInvalid), "only program of [group:jobs]", "empty")
	fx.unchanged(t, files, pids)

	if _, err := run(t, fx.b, "supervisor.program.delete", "cron"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fx.cron); !os.IsNotExist(err) {
		t.Errorf("%s, with only comments left, is still there: %v", fx.cron, err)
	}
}

// The main config is edited only with supervisor.edit_main_config, and
// then only the program's lines.
func TestHostMainConfig(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	files, pids := fx.snapshot(t), fx.pids(t)
	_, err := run(t, fx.b, "supervisor.program.edit", "mainprog", ops.Arg{Key: "set", Value: "startsecs=1"})
	mustContain(t, "refusal", wantStatus(t, err, ops.StatusInvalid), "supervisor.edit_main_config", fx.s.ConfigFile)
	fx.unchanged(t, files, pids)

	fx.b.cfg.EditMainConfig = true
	if _, err := run(t, fx.b, "supervisor.program.edit", "mainprog", ops.Arg{Key: "set", Value: "startsecs=1"}); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(files[fx.s.ConfigFile], mainProgram, strings.Replace(mainProgram, "startsecs=0", "startsecs=1", 1), 1)
	if got := readFile(t, fx.s.ConfigFile); got != want {
		t.Errorf("main config:\n%s", got)
	}
	rpcWaitState(t, fx.b.client, "mainprog:mainprog", "RUNNING")
}

// A program defined twice (supervisord merges the sections) is named with
// both places and not edited; so is one in a file poolvisor cannot read
// exactly, one behind a symbolic link, and one outside supervisor.writable.
// Show and control still work.
func TestHostUneditable(t *testing.T) {
	t.Parallel()
	fx := newHostFixture(t)
	dup := filepath.Join(fx.s.ProgramDir, "dup.conf")
	writeFile(t, dup, []byte("[program:cron]\nstartsecs=1\n"))
	twice := filepath.Join(fx.s.ProgramDir, "twice.conf")
	writeFile(t, twice, []byte("[program:twin]\ncommand=/bin/true\n\n[program:twin]\nstartsecs=1\n"))
	odd := filepath.Join(fx.s.ProgramDir, "odd.conf")
	writeFile(t, odd, []byte("[program:odd]\ncommand=/bin/true\nthis line has no value\n"))
	outside := filepath.Join(t.TempDir(), "outside.conf")
	writeFile(t, outside, []byte("[program:linked]\ncommand=/bin/true\n"))
	if err := os.Symlink(outside, filepath.Join(fx.s.ProgramDir, "linked.conf")); err != nil {
		t.Fatal(err)
	}
	files, pids := fx.snapshot(t), fx.pids(t)
	outsideBytes := readFile(t, outside)
	for _, c := range []struct{ name, target string }{
		{"defined in two files", "cron"}, {"defined twice in one", "twin"}, {"unreadable", "odd"}, {"symlink", "linked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, fx.b, "supervisor.program.edit", c.target, ops.Arg{Key: "set", Value: "startsecs=2"})
			msg := wantStatus(t, err, ops.StatusInvalid)
			switch c.target {
			case "cron":
				mustContain(t, "refusal", msg, fx.cron+":2", dup+":1", "defined 2 times")
			case "twin":
				mustContain(t, "refusal", msg, twice+":1", twice+":4")
			case "odd":
				mustContain(t, "refusal", msg, odd, "line 3")
			case "linked":
				mustContain(t, "refusal", msg, "symbolic link")
			}
			_, err = run(t, fx.b, "supervisor.program.delete", c.target)
			wantStatus(t, err, ops.StatusInvalid)
		})
	}
	// Still shown and controlled.
	if _, err := run(t, fx.b, "supervisor.program.show", "cron"); err != nil {
		t.Errorf("show cron: %v", err)
	}
	if _, err := run(t, fx.b, "supervisor.program.restart", "cron"); err != nil {
		t.Errorf("restart cron: %v", err)
	}
	pids["cron"] = fx.pids(t)["cron"]
	fx.unchanged(t, files, pids)
	if readFile(t, outside) != outsideBytes {
		t.Error("the file behind the link changed")
	}

	lines := fx.b.Uneditable(context.Background())
	for _, want := range []string{fx.cron + ": program cron: it is defined 2 times", twice + ": program twin", odd + ": program odd", "symbolic link", fx.s.ConfigFile + ": program mainprog"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, want) }) {
			t.Errorf("Uneditable lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "mailer") }) {
		t.Errorf("Uneditable names mailer:\n%s", strings.Join(lines, "\n"))
	}

	// supervisor.writable narrower than the includes: conf.d is shown, not edited.
	fx.b.cfg.Writable = []string{filepath.Join(filepath.Dir(fx.apps), "*.ini")}
	os.Remove(dup)
	_, err := run(t, fx.b, "supervisor.program.edit", "cron", ops.Arg{Key: "set", Value: "startsecs=2"})
	mustContain(t, "refusal", wantStatus(t, err, ops.StatusInvalid), "outside supervisor.writable")
}
