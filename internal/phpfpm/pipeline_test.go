package phpfpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/history"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// TestThroughThePipeline drives the backend with typed commands through the
// real pipeline: RBAC, --plan, the approval gate for delete, and the diffs.
func TestThroughThePipeline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 4})
	b := testBackend(t, f)
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := approval.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.New(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := history.New(ctx, db, 10)
	if err != nil {
		t.Fatal(err)
	}
	handlers := b.Handlers()
	// Wired as internal/app wires the Supervisor backend's history.
	handlers["fpm.pool.history"], handlers["fpm.pool.rollback"] = versions.Handlers(history.Files{
		Kind: PoolKind, Path: b.PoolPath,
		Edit: handlers["fpm.pool.edit"], Add: handlers["fpm.pool.create"], Delete: handlers["fpm.pool.delete"],
		Ops:     [3]string{"fpm.pool.edit", "fpm.pool.create", "fpm.pool.delete"},
		Section: PoolSection,
	})
	alice, bob := ops.Actor{Platform: "local", ID: "alice"}, ops.Actor{Platform: "local", ID: "bob"}
	policy := authz.New(map[string][]string{"admin": {"*"}}, []authz.Binding{{Role: "admin", Users: map[string][]string{"local": []string{"alice", "bob"}}}})
	pipe := ops.New(ops.Config{
		Host: "web-test", Parser: command.Parser{}, Authz: policy, Approvals: store, Audit: trail, History: versions,
		Policy:   ops.ApprovalPolicy{Required: []string{"fpm.pool.delete"}, ApproverRoles: []string{"admin"}, TTL: 15 * time.Minute},
		Handlers: handlers,
	})
	api := filepath.Join(f.PoolDir, "api.conf")

	q := snapshot(t, f, "www", "api")
	res := pipe.Run(ctx, alice, "fpm pool edit api --max-children 6 --plan")
	if res.Status != ops.StatusOK || len(res.Diffs) != 1 || !strings.Contains(res.Diffs[0].Text, "+pm.max_children = 6") {
		t.Fatalf("--plan: %s %+v\n%s", res.Status, res.Diffs, res.Message)
	}
	q.check(t, f)

	res = pipe.Run(ctx, alice, "fpm pool delete api")
	if res.Status != ops.StatusPending || res.ApprovalID == "" {
		t.Fatalf("delete: %s %s", res.Status, res.Message)
	}
	q.check(t, f) // nothing happens before the approval
	res = pipe.Run(ctx, bob, "ops approve "+res.ApprovalID)
	if res.Status != ops.StatusOK {
		t.Fatalf("approve: %s %s", res.Status, res.Message)
	}
	if _, err := os.Stat(api); !os.IsNotExist(err) || len(f.Workers("api")) != 0 || f.Dial("www") != nil {
		t.Errorf("after the approved delete: file %v, api workers %v, www %v", err, f.Workers("api"), f.Dial("www"))
	}
	if n := strings.Count(f.Log(), "Reloading in progress"); n != q.reloads+1 {
		t.Errorf("%d reloads, want %d", n, q.reloads+1)
	}

	// History and rollback go through the same validated edit.
	if res := pipe.Run(ctx, alice, "fpm pool create shop --max-children 4"); res.Status != ops.StatusOK {
		t.Fatalf("create: %s %s", res.Status, res.Message)
	}
	shop := filepath.Join(f.PoolDir, "shop.conf")
	created, _ := os.ReadFile(shop)
	if res := pipe.Run(ctx, alice, "fpm pool edit shop --max-children 5 --max-spare 4"); res.Status != ops.StatusOK {
		t.Fatalf("edit: %s %s", res.Status, res.Message)
	}
	if res := pipe.Run(ctx, alice, "fpm pool history shop"); res.Status != ops.StatusOK || !strings.Contains(res.Message, "fpm.pool.edit") {
		t.Errorf("history: %s %s", res.Status, res.Message)
	}
	if res := pipe.Run(ctx, alice, "fpm pool rollback shop"); res.Status != ops.StatusOK {
		t.Fatalf("rollback: %s %s", res.Status, res.Message)
	}
	if now, _ := os.ReadFile(shop); string(now) != string(created) || len(f.Workers("shop")) != 2 {
		t.Errorf("rollback left:\n%s\nwant:\n%s", now, created)
	}

	if res := pipe.Run(ctx, alice, "fpm pool delete www"); res.Status != ops.StatusInvalid || !strings.Contains(res.Message, "protected") {
		t.Errorf("delete www: %s %s", res.Status, res.Message)
	}
	if res := pipe.Run(ctx, alice, "fpm pools"); res.Status != ops.StatusOK || len(res.Data.(ops.PoolList).Pools) != 2 {
		t.Errorf("pools: %s %v", res.Status, res.Data)
	}
}
