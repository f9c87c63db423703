package history

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func newStore(t *testing.T, keep int) *Store {
	t.Helper()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(context.Background(), db, keep)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var alice = ops.VersionMeta{Actor: ops.Actor{Platform: "local", ID: "alice"}, Operation: "supervisor.program.edit"}

func change(before, after string) ops.FileChange {
	c := ops.FileChange{Kind: "supervisor.program", Name: "web", Path: "/etc/supervisor/conf.d/web.conf"}
	if before != "" {
		c.Before = []byte(before)
	}
	if after != "" {
		c.After = []byte(after)
	}
	return c
}

func TestRecordKeepsHandEditsAsVersions(t *testing.T) {
	s := newStore(t, 50)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Record(ctx, change("", "v1\n"), alice))          // created by poolvisor
	must(s.Record(ctx, change("v1\n", "v2\n"), alice))      // no drift
	must(s.Record(ctx, change("v2 hand\n", "v3\n"), alice)) // edited by hand in between
	must(s.Record(ctx, change("v3\n", ""), alice))          // deleted
	list, err := s.List(ctx, "supervisor.program", "web")
	must(err)
	var got []string
	for _, v := range list {
		got = append(got, strings.TrimSpace(string(v.Content))+" by "+v.Actor)
	}
	want := "v1 by local:alice|v2 by local:alice|v2 hand by outside poolvisor|v3 by local:alice| by local:alice"
	if strings.Join(got, "|") != want {
		t.Errorf("versions %q\nwant %q", strings.Join(got, "|"), want)
	}
	if !list[4].Deleted || list[4].N != 5 {
		t.Errorf("last version %+v", list[4])
	}
	// A file poolvisor never wrote keeps its first state too.
	must(s.Record(ctx, ops.FileChange{Kind: "fpm.pool", Name: "api", Path: "/p/api.conf", Before: []byte("old\n"), After: []byte("new\n")}, alice))
	if l, _ := s.List(ctx, "fpm.pool", "api"); len(l) != 2 || l[0].Actor != Outside {
		t.Errorf("pre-existing file: %+v", l)
	}
}

func TestRetentionPrunes(t *testing.T) {
	s := newStore(t, 3)
	ctx := context.Background()
	prev := ""
	for _, v := range []string{"1", "2", "3", "4", "5"} {
		if err := s.Record(ctx, change(prev, v), alice); err != nil {
			t.Fatal(err)
		}
		prev = v
	}
	list, _ := s.List(ctx, "supervisor.program", "web")
	if len(list) != 3 || list[0].N != 3 {
		t.Errorf("kept %d versions from %d", len(list), list[0].N)
	}
	if _, err := s.Get(ctx, "supervisor.program", "web", 1); !errors.Is(err, ErrNoVersion) {
		t.Errorf("pruned version: %v", err)
	}
}

func TestHistoryShowsDrift(t *testing.T) {
	s := newStore(t, 50)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "web.conf")
	c := ops.FileChange{Kind: "supervisor.program", Name: "web", Path: path, After: []byte("[program:web]\ncommand=/bin/a\n")}
	if err := s.Record(ctx, c, alice); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("[program:web]\ncommand=/bin/b\n"), 0o644)
	h, _ := s.Handlers(Files{Kind: "supervisor.program", Path: func(string) string { return path }})
	plan, err := h.Plan(ctx, ops.Request{Op: ops.Operation{Name: "supervisor.program.history", Target: "web"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Apply(ctx)
	if err != nil || !strings.Contains(out.Message, "changed outside poolvisor since version 1") || !strings.Contains(out.Message, "+command=/bin/b") {
		t.Errorf("history: %v\n%s", err, out.Message)
	}
}
