package grants

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestExtend: only a grant's holder (by identity or as its person) may ask
// for more time, only on a grant in force and not on a break-glass
// session; the request always waits for an approver; its duration is the
// grant's own (capped by rbac.max_grant) unless the holder picks one, and
// the new grant runs on from the old deadline.
func TestExtend(t *testing.T) {
	ctx := context.Background()
	store, db := openStore(t, t.TempDir())
	defer db.Close()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	active := func(at time.Time) ([]authz.Temporary, error) {
		list, err := store.Active(ctx, at)
		var out []authz.Temporary
		for _, g := range list {
			out = append(out, authz.Temporary{ID: g.ID, Who: g.Who, Role: g.Role, BreakGlass: g.Kind == KindBreakGlass})
		}
		return out, err
	}
	p := authz.New(map[string][]string{"viewer": {"ops.grants"}, "operator": {"viewer", "supervisor.program.start"}}, nil).
		WithPeople(map[string]authz.Person{"victor": {"local": {"vic"}, "slack": {"U0VIC"}}}).
		WithGrants(active, func() time.Time { return now }, nil)
	h := Handlers(Config{Store: store, RBAC: p, Max: time.Hour, Platforms: []string{"local", "slack"}, Now: func() time.Time { return now }})["ops.extend"]

	add := func(g Grant) string {
		id, err := store.Add(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	person := add(Grant{Who: "victor", Role: "operator", Kind: KindGrant, Created: now.Add(-25 * time.Minute), Until: now.Add(5 * time.Minute), By: "local:lena"})
	long := add(Grant{Who: "local:olga", Role: "operator", Kind: KindGrant, Created: now.Add(-50 * time.Minute), Until: now.Add(50 * time.Minute), By: "local:lena"})
	glass := add(Grant{Who: "local:omar", Role: "operator", Kind: KindBreakGlass, Created: now, Until: now.Add(time.Minute), By: "local:omar", Reason: "db"})
	ended := add(Grant{Who: "local:vic", Role: "operator", Kind: KindGrant, Created: now.Add(-time.Hour), Until: now.Add(-time.Second), By: "local:lena"})

	vic, slackVic := ops.Actor{Platform: "local", ID: "vic"}, ops.Actor{Platform: "slack", ID: "U0VIC"}
	if !p.Allowed(slackVic, authz.ExtendOp) || !p.Allowed(ops.Actor{Platform: "local", ID: "olga"}, authz.ExtendOp) {
		t.Errorf("a grant's holder may not ask for more time")
	}
	for _, who := range []string{"omar", "nobody"} {
		if p.Allowed(ops.Actor{Platform: "local", ID: who}, authz.ExtendOp) {
			t.Errorf("local:%s may ask for more time without a grant", who)
		}
	}

	plan := func(a ops.Actor, id string, args ...ops.Arg) (*ops.Plan, error) {
		return h.Plan(ctx, ops.Request{Actor: a, Op: ops.Operation{Name: "ops.extend", Target: id, Args: args}})
	}
	dur := func(v string) ops.Arg { return ops.Arg{Key: "duration", Value: v} }
	for _, c := range []struct {
		name   string
		actor  ops.Actor
		id     string
		args   []ops.Arg
		status ops.Status
	}{
		{"someone else's grant", ops.Actor{Platform: "local", ID: "olga"}, person, nil, ops.StatusDenied},
		{"an ended grant", vic, ended, nil, ops.StatusConflict},
		{"an unknown grant", vic, "gnosuch", nil, ops.StatusInvalid},
		{"a break-glass session", ops.Actor{Platform: "local", ID: "omar"}, glass, nil, ops.StatusInvalid},
		{"above rbac.max_grant", vic, person, []ops.Arg{dur("2h")}, ops.StatusInvalid},
		{"not a duration", vic, person, []ops.Arg{dur("soon")}, ops.StatusInvalid},
		{"negative", vic, person, []ops.Arg{dur("-5m")}, ops.StatusInvalid},
	} {
		_, err := plan(c.actor, c.id, c.args...)
		var e *ops.Error
		if !errors.As(err, &e) || e.Status != c.status {
			t.Errorf("%s: %v, want %s", c.name, err, c.status)
		}
	}
	if list, _ := store.Active(ctx, now); len(list) != 3 {
		t.Fatalf("refused requests changed the grants: %+v", list)
	}

	pl, err := plan(slackVic, person) // another identity of the person holding it
	if err != nil {
		t.Fatal(err)
	}
	if !pl.NeedsApproval {
		t.Error("an extension does not wait for an approver")
	}
	out, err := pl.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, out.Data.(map[string]any)["id"].(string), now)
	if err != nil {
		t.Fatal(err)
	}
	// 30m as first given, from the old deadline on.
	if got.Who != "victor" || got.Role != "operator" || !got.Until.Equal(now.Add(35*time.Minute)) || got.By != "slack:U0VIC" {
		t.Errorf("the extension is %+v", got)
	}
	pl, err = plan(ops.Actor{Platform: "local", ID: "olga"}, long) // 100m first: capped at rbac.max_grant
	if err != nil {
		t.Fatal(err)
	}
	if out, err = pl.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Get(ctx, out.Data.(map[string]any)["id"].(string), now); !got.Until.Equal(now.Add(110 * time.Minute)) {
		t.Errorf("an extension of a 100m grant with rbac.max_grant 1h ends at %s, want %s", got.Until, now.Add(110*time.Minute))
	}
	pl, err = plan(vic, person, dur("10m"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err = pl.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Get(ctx, out.Data.(map[string]any)["id"].(string), now); !got.Until.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("a 10m extension ends at %s", got.Until)
	}
}
