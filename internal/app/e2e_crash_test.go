package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

type auditRow struct {
	Status  string `json:"status"`
	Target  string `json:"target"`
	Found   string `json:"found"`
	Write   int64  `json:"write"`
	Message string `json:"message"`
}

func (e *env) auditOf(target string) []auditRow {
	e.t.Helper()
	r := e.want("alice", "ops audit 500", "ok", 0)
	var data struct{ Entries []auditRow }
	if err := json.Unmarshal(r.Data, &data); err != nil {
		e.t.Fatal(err)
	}
	var out []auditRow
	for _, row := range data.Entries {
		if row.Target == target {
			out = append(out, row)
		}
	}
	return out
}

// noStaging fails when a staged copy of config files is left in the data
// directory or in the processes' TMPDIR.
func noStaging(t *testing.T, dataDir, tmp string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dataDir, "staging", "*"))
	more, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if left = append(left, more...); len(left) > 0 {
		t.Errorf("staging copies left behind: %v", left)
	}
}

// A `supervisor add` killed with SIGKILL at each point of its write leaves
// neither an unaccounted change nor staged copies of its file (secrets
// included): the next poolvisor process to start shows the write in the
// audit as interrupted, with what it found, and records an applied file in
// the history.
func TestKilledAddIsReconciled(t *testing.T) {
	e := newEnv(t)
	dataDir := filepath.Join(filepath.Dir(e.config), "data")
	tmp := t.TempDir()
	cases := []struct {
		point, name, found string // found "": the write had not begun
		onDisk             bool
	}{
		{"in-check", "k-check", "", false},
		{"after-intent", "k-intent", "not applied", false},
		{"after-write", "k-write", "applied", true},
		{"before-settle", "k-settle", "applied", true},
		{"after-apply", "k-applied", "applied", true},
	}
	for _, c := range cases {
		t.Run(c.point, func(t *testing.T) {
			e.t = t
			add := "supervisor add " + c.name + ` --command "/bin/sh -c 'while true; do sleep 1; done'" --set environment=API_TOKEN=s3cret-` + c.name
			e.startPaused("alice", add, c.point, tmp).kill()
			rows := e.auditOf(c.name) // a new process: it reconciles first
			path := filepath.Join(e.sv.ProgramDir, c.name+".conf")
			if _, err := os.Stat(path); (err == nil) != c.onDisk {
				t.Errorf("%s on disk: %v, want %v", path, err == nil, c.onDisk)
			}
			noStaging(t, dataDir, tmp)
			if c.found == "" {
				if len(rows) != 0 {
					t.Errorf("audit of a write killed before it began: %+v", rows)
				}
				return
			}
			if len(rows) != 1 || rows[0].Status != "interrupted" || rows[0].Found != c.found || rows[0].Write == 0 {
				t.Fatalf("audit: %+v, want one interrupted (%s)", rows, c.found)
			}
			if strings.Contains(rows[0].Message, "s3cret") {
				t.Errorf("secret in the audit: %s", rows[0].Message)
			}
			hist := e.want("alice", "supervisor history "+c.name, "ok", 0)
			if recorded := strings.Contains(hist.Message, "supervisor.program.add (interrupted)"); recorded != c.onDisk {
				t.Errorf("history records the interrupted write: %v, want %v\n%s", recorded, c.onDisk, hist.Message)
			}
			text := e.want("alice", "ops audit 500", "ok", 0).Message
			if !strings.Contains(text, "interrupted ("+c.found+")") {
				t.Errorf("/ops audit does not show the write as interrupted (%s):\n%s", c.found, text)
			}
		})
	}
	e.t = t
	if left, _ := filepath.Glob(filepath.Join(dataDir, "leases", "*")); len(left) > 0 {
		t.Errorf("leases of ended processes left: %v", left)
	}
}

// The same for php-fpm: a pool create killed while php-fpm -t reads its
// staged copy, or after the pool file is written, before the reload.
func TestKilledPoolCreateIsReconciled(t *testing.T) {
	e, f := newFPMEnv(t, sandbox.Pool{Name: "www"})
	dataDir := filepath.Join(filepath.Dir(e.config), "data")
	tmp := t.TempDir()
	defer func() { e.t = t }()
	for _, c := range []struct{ point, name, found string }{
		{"in-check", "p-check", ""},
		{"after-write", "p-write", "applied"},
	} {
		t.Run(c.point, func(t *testing.T) {
			e.t = t
			e.startPaused("alice", "fpm pool create "+c.name+" --preset small", c.point, tmp).kill()
			rows := e.auditOf(c.name)
			noStaging(t, dataDir, tmp)
			_, err := os.Stat(filepath.Join(f.PoolDir, c.name+".conf"))
			if c.found == "" {
				if len(rows) != 0 || err == nil {
					t.Errorf("a create killed before it began: audit %+v, file written: %v", rows, err == nil)
				}
				return
			}
			if len(rows) != 1 || rows[0].Status != "interrupted" || rows[0].Found != c.found || err != nil {
				t.Fatalf("audit %+v (file: %v), want one interrupted (%s)", rows, err, c.found)
			}
			if hist := e.want("alice", "fpm pool history "+c.name, "ok", 0); !strings.Contains(hist.Message, "fpm.pool.create (interrupted)") {
				t.Errorf("history:\n%s", hist.Message)
			}
		})
	}
}

// A write in progress in a live process is not taken for an interrupted
// one by a process starting beside it: it shows as started, then as its
// outcome once it ends.
func TestWriteInProgressIsNotReconciled(t *testing.T) {
	e := newEnv(t)
	p := e.startPaused("alice", `supervisor add busy --command "/bin/sh -c 'while true; do sleep 1; done'"`, "after-intent", t.TempDir())
	if rows := e.auditOf("busy"); len(rows) != 1 || rows[0].Status != "started" {
		t.Fatalf("audit of a write in progress: %+v", rows)
	}
	if r := p.resume(); r.Status != "ok" {
		t.Fatalf("the resumed add: %s %s", r.Status, r.Message)
	}
	if rows := e.auditOf("busy"); len(rows) != 1 || rows[0].Status != "ok" || rows[0].Write == 0 {
		t.Errorf("audit after the write ended: %+v", rows)
	}
}
