package supervisor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// hostFixture is a supervisord configured the way hosts are, not the way
// poolvisor would write it: a relative include of supervisord.d/*.ini
// holding two programs and a [group:] in one file with inline comments and
// odd spacing, a program in a file named otherwise (conf.d/daemon-482913.conf),
// and one in the main config itself.
type hostFixture struct {
	s    *sandbox.Supervisord
	b    *Backend
	apps string // supervisord.d/apps.ini
	cron string // conf.d/daemon-482913.conf
}

const mainProgram = `
[program:mainprog]
command=/bin/sh -c "while true; do sleep 600; done"
startsecs=0
`

func newHostFixture(t *testing.T) hostFixture {
	t.Helper()
	s := sandbox.Supervisor(t)
	main, err := os.ReadFile(s.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	abs := "files = " + filepath.Join(s.ProgramDir, "*.conf")
	if !bytes.Contains(main, []byte(abs)) {
		t.Fatalf("the sandbox's include is not %q:\n%s", abs, main)
	}
	main = bytes.Replace(main, []byte(abs), []byte("files = supervisord.d/*.ini conf.d/*.conf"), 1)
	main = append(main, mainProgram...)
	writeFile(t, s.ConfigFile, main)
	fx := hostFixture{s: s, apps: filepath.Join(s.Dir, "supervisord.d", "apps.ini"), cron: filepath.Join(s.ProgramDir, "daemon-482913.conf")}
	if err := os.MkdirAll(filepath.Dir(fx.apps), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, fx.apps, readFixture(t, "apps.ini"))
	writeFile(t, fx.cron, readFixture(t, "daemon-482913.conf"))
	fx.b = newBackend(t, s, 5e9)
	ctx := context.Background()
	c, err := fx.b.changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.b.applyChanges(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"jobs:mailer", "jobs:worker_00", "jobs:worker_01", "cron:cron", "mainprog:mainprog"} {
		rpcWaitState(t, fx.b.client, p, "RUNNING")
	}
	return fx
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hosts", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshot returns every config file of the fixture, by path.
func (fx hostFixture) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{fx.s.ConfigFile: readFile(t, fx.s.ConfigFile)}
	for _, dir := range []string{filepath.Dir(fx.apps), fx.s.ProgramDir} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			out[p] = readFile(t, p)
		}
	}
	return out
}

// pids returns the PID of every process supervisord runs, by name.
func (fx hostFixture) pids(t *testing.T) map[string]int {
	t.Helper()
	all, err := fx.b.client.GetAllProcessInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range all {
		out[displayName(p)] = p.PID
	}
	return out
}

// unchanged checks that the config files are byte for byte as in before,
// that no process was restarted, and that supervisord has nothing pending
// (no write it was not told about).
func (fx hostFixture) unchanged(t *testing.T, files map[string]string, pids map[string]int) {
	t.Helper()
	now := fx.snapshot(t)
	for p, want := range files {
		if now[p] != want {
			t.Errorf("%s changed:\n%s", p, now[p])
		}
	}
	for p := range now {
		if _, ok := files[p]; !ok {
			t.Errorf("new file %s", p)
		}
	}
	if got := fx.pids(t); !mapsEqual(got, pids) {
		t.Errorf("processes changed: %v, were %v", got, pids)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// plan plans op without applying it.
func plan(t *testing.T, b *Backend, name, target string, args ...ops.Arg) (*ops.Plan, error) {
	t.Helper()
	return b.Handlers()[name].Plan(context.Background(), ops.Request{Op: ops.Operation{Name: name, Target: target, Args: args}})
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s %q does not say %q", what, got, w)
		}
	}
}
