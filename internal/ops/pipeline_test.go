package ops_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/approval"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// counter is a write whose state the test controls: Plan reads the current
// fingerprint, Apply counts.
type counter struct {
	planned, applied atomic.Int32
	state            atomic.Value // string: the fingerprint Plan sees
}

func (c *counter) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	c.planned.Add(1)
	fp, _ := c.state.Load().(string)
	return &ops.Plan{
		Summary:     "restart " + req.Op.Target,
		Fingerprint: fp,
		Apply: func(context.Context) (ops.Outcome, error) {
			c.applied.Add(1)
			return ops.Outcome{Message: "restarted " + req.Op.Target}, nil
		},
	}, nil
}

// revocable is an authorizer whose bindings a test can take away, as an
// admin editing the config and restarting serve would.
type revocable struct {
	*authz.Policy
	revoked sync.Map // actor string -> true
}

func (r *revocable) Allowed(a ops.Actor, op string) bool {
	if _, gone := r.revoked.Load(a.String()); gone {
		return false
	}
	return r.Policy.Allowed(a, op)
}

type fixture struct {
	authz *revocable
	p     *ops.Pipeline
	h     *counter
	trail *audit.Log
	store *approval.Store
	now   atomic.Pointer[time.Time]
}

var (
	alice = ops.Actor{Platform: "local", ID: "alice"} // admin
	bob   = ops.Actor{Platform: "local", ID: "bob"}   // admin
	olga  = ops.Actor{Platform: "local", ID: "olga"}  // operator
	vic   = ops.Actor{Platform: "local", ID: "vic"}   // viewer
	eve   = ops.Actor{Platform: "local", ID: "eve"}   // nobody
)

// newStores are the approvals and the audit trail of a pipeline, in a new
// SQLite database closed when t ends.
func newStores(t *testing.T) (*approval.Store, *audit.Log) {
	t.Helper()
	ctx := context.Background()
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
	return store, trail
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, trail := newStores(t)
	policy := authz.New(map[string][]string{
		"viewer":   {"supervisor.program.list", "ops.*"},
		"operator": {"viewer", "supervisor.program.restart", "supervisor.program.stop"},
		"admin":    {"*"},
	}, []authz.Binding{
		{Role: "admin", Users: map[string][]string{"local": []string{"alice", "bob"}, "slack": []string{"UALICE"}}},
		{Role: "operator", Users: map[string][]string{"local": []string{"olga"}}, Groups: map[string][]string{"slack": []string{"S0OPS"}}},
		{Role: "viewer", Users: map[string][]string{"local": []string{"vic"}}},
	}).WithPeople(map[string]authz.Person{"alice": {"local": []string{"alice"}, "slack": []string{"UALICE"}}})
	f := &fixture{h: &counter{}, trail: trail, store: store, authz: &revocable{Policy: policy}}
	f.h.state.Store("fp-1")
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.now.Store(&start)
	f.p = ops.New(ops.Config{
		Host: "web-01", Parser: command.Parser{}, Authz: f.authz, Approvals: store, Audit: trail,
		Policy: ops.ApprovalPolicy{Required: []string{"supervisor.program.restart"}, ApproverRoles: []string{"admin"}, TTL: 15 * time.Minute},
		Handlers: map[string]ops.Handler{
			"supervisor.program.restart": f.h,
			"supervisor.program.stop":    f.h,
			// A rollback whose plan amounts to a restart.
			"supervisor.program.rollback": effects{f.h, []string{"supervisor.program.edit", "supervisor.program.restart"}},
			"ops.help":                    command.Help(policy),
		},
		Now: func() time.Time { return *f.now.Load() },
	})
	return f
}

func (f *fixture) run(t *testing.T, a ops.Actor, text string, want ops.Status) ops.Result {
	t.Helper()
	res := f.p.Run(context.Background(), a, text)
	if res.Status != want {
		t.Fatalf("%s: %q = %s (%s), want %s", a, text, res.Status, res.Message, want)
	}
	return res
}

func (f *fixture) request(t *testing.T, a ops.Actor) string {
	t.Helper()
	res := f.run(t, a, "supervisor restart queue", ops.StatusPending)
	if res.ApprovalID == "" {
		t.Fatal("pending result without approval id")
	}
	return res.ApprovalID
}

func TestApprovalFlow(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, olga)
	if f.h.applied.Load() != 0 {
		t.Fatal("a held request was applied")
	}
	f.run(t, olga, "ops approve "+id, ops.StatusDenied) // not an approver
	f.run(t, vic, "ops approve "+id, ops.StatusDenied)
	f.run(t, eve, "ops approve "+id, ops.StatusDenied)
	res := f.run(t, alice, "ops approve "+id, ops.StatusOK)
	if !strings.Contains(res.Message, "restarted queue") || f.h.applied.Load() != 1 {
		t.Fatalf("approve did not apply once: %q, applied %d", res.Message, f.h.applied.Load())
	}
	res = f.run(t, bob, "ops approve "+id, ops.StatusConflict)
	if !strings.Contains(res.Message, "already approved by local:alice") {
		t.Errorf("second decision message: %q", res.Message)
	}
	f.run(t, bob, "ops deny "+id, ops.StatusConflict)
	if f.h.applied.Load() != 1 {
		t.Fatalf("applied %d times, want 1", f.h.applied.Load())
	}
}

func TestSelfApproval(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, alice)
	res := f.run(t, alice, "ops approve "+id, ops.StatusConflict)
	if !strings.Contains(res.Message, "your own request") {
		t.Errorf("message %q", res.Message)
	}
	f.run(t, bob, "ops approve "+id, ops.StatusOK) // still pending after the refusal
}

func TestDenySticksAndWithdraw(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, olga)
	f.run(t, alice, "ops deny "+id+" not during the sale", ops.StatusOK)
	f.run(t, bob, "ops approve "+id, ops.StatusConflict)

	id2 := f.request(t, olga)
	f.run(t, olga, "ops deny "+id2, ops.StatusOK) // the requester may withdraw
	f.run(t, alice, "ops approve "+id2, ops.StatusConflict)
	if f.h.applied.Load() != 0 {
		t.Fatal("a denied request was applied")
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, olga)
	later := f.now.Load().Add(16 * time.Minute)
	f.now.Store(&later)
	res := f.run(t, alice, "ops approve "+id, ops.StatusConflict)
	if !strings.Contains(res.Message, "expired") {
		t.Errorf("message %q", res.Message)
	}
	res = f.run(t, alice, "ops approvals", ops.StatusOK)
	if strings.Contains(res.Message, id) {
		t.Errorf("expired request still listed: %q", res.Message)
	}
}

func TestStalePlanConflicts(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, olga)
	f.h.state.Store("fp-2") // the program changed underneath
	res := f.run(t, alice, "ops approve "+id, ops.StatusConflict)
	if f.h.applied.Load() != 0 {
		t.Fatal("a stale plan was applied")
	}
	if !strings.Contains(res.Message, "has changed since it was requested") {
		t.Errorf("message %q", res.Message)
	}
}

func TestConcurrentDecisionsOneWins(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, olga)
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who, text := alice, "ops approve "+id
			if i%2 == 1 {
				who = bob
			}
			if i%4 == 3 {
				text = "ops deny " + id
			}
			switch f.p.Run(context.Background(), who, text).Status {
			case ops.StatusOK:
				ok.Add(1)
			case ops.StatusConflict:
				conflict.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 15 {
		t.Fatalf("%d decisions took effect and %d conflicted; want exactly 1 and 15", ok.Load(), conflict.Load())
	}
	if f.h.applied.Load() > 1 {
		t.Fatalf("applied %d times", f.h.applied.Load())
	}
}

func TestDeniedLearnsNothing(t *testing.T) {
	f := newFixture(t)
	f.run(t, vic, "supervisor stop does-not-exist", ops.StatusDenied)
	if f.h.planned.Load() != 0 {
		t.Fatal("a denied request reached the backend")
	}
	f.run(t, eve, "ops whoami", ops.StatusDenied)
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, olga, "supervisor restart queue --plan", ops.StatusOK)
	if f.h.applied.Load() != 0 || !strings.Contains(res.Message, "restart queue") {
		t.Fatalf("plan applied or said nothing: %q", res.Message)
	}
}

func TestHelpListsOnlyAllowed(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, vic, "ops help", ops.StatusOK)
	if strings.Contains(res.Message, "restart") || !strings.Contains(res.Message, "/supervisor status") {
		t.Errorf("viewer help:\n%s", res.Message)
	}
	res = f.run(t, olga, "supervisor help", ops.StatusOK)
	if !strings.Contains(res.Message, "/supervisor restart") || strings.Contains(res.Message, "/ops") {
		t.Errorf("operator supervisor help:\n%s", res.Message)
	}
}

func TestAuditRecordsEverything(t *testing.T) {
	f := newFixture(t)
	f.run(t, eve, "supervisor stop web", ops.StatusDenied)
	f.run(t, olga, "supervisor frobnicate --password hunter2", ops.StatusInvalid)
	id := f.request(t, olga)
	f.run(t, alice, "ops approve "+id, ops.StatusOK)
	entries, err := f.trail.Recent(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, string(e.Status)+" "+e.Actor+" "+e.Operation+" "+e.ApprovalID+" "+e.Approver)
		if strings.Contains(e.Target+e.Message, "hunter2") {
			t.Errorf("secret in audit entry: %+v", e)
		}
	}
	want := []string{
		"denied local:eve supervisor.program.stop  ",
		"invalid local:olga (unparsed)  ",
		"pending_approval local:olga supervisor.program.restart " + id + " ",
		"ok local:olga supervisor.program.restart " + id + " local:alice",
		"ok local:alice ops.approve " + id + " local:alice",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExitCodes(t *testing.T) {
	want := map[ops.Status]int{ops.StatusOK: 0, ops.StatusFailed: 1, ops.StatusInvalid: 2,
		ops.StatusDenied: 3, ops.StatusPending: 4, ops.StatusConflict: 5}
	for s, code := range want {
		if s.ExitCode() != code {
			t.Errorf("%s exit code %d, want %d", s, s.ExitCode(), code)
		}
	}
}

func TestUnknownHost(t *testing.T) {
	f := newFixture(t)
	f.run(t, olga, "supervisor stop web --host web-09", ops.StatusInvalid)
}

// TestOnFailureNeedsAHostGroup: --on-failure says what a write to a host
// group does when a host fails; a bot that serves one host has no group.
func TestOnFailureNeedsAHostGroup(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, olga, "supervisor stop web --on-failure stop", ops.StatusInvalid)
	if !strings.Contains(res.Message, "host group") || res.Field != "on-failure" || f.h.planned.Load() != 0 {
		t.Errorf("%+v (planned %d)", res, f.h.planned.Load())
	}
}

// effects wraps a handler so that its plans declare effects.
type effects struct {
	ops.Handler
	effects []string
}

func (e effects) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	plan, err := e.Handler.Plan(ctx, req)
	if plan != nil {
		plan.Effects = e.effects
	}
	return plan, err
}

// TestEffectsAreGated: an operation that is not itself in
// approvals.required is held when its plan amounts to one that is (a
// rollback that restarts), and the answer says why.
func TestEffectsAreGated(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, alice, "supervisor rollback queue 3", ops.StatusPending)
	if !strings.Contains(res.Message, "amounts to supervisor.program.restart") {
		t.Errorf("message %q does not say why it is held", res.Message)
	}
	if f.h.applied.Load() != 0 {
		t.Fatal("a held rollback was applied")
	}
	f.run(t, bob, "ops approve "+res.ApprovalID, ops.StatusOK)
	if f.h.applied.Load() != 1 {
		t.Fatalf("applied %d times after approval", f.h.applied.Load())
	}
}

// TestSelfApprovalPerPerson: one person's Slack and local identities are
// one person, so neither approves what the other asked.
func TestSelfApprovalPerPerson(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, ops.Actor{Platform: "slack", ID: "UALICE"})
	res := f.run(t, alice, "ops approve "+id, ops.StatusConflict)
	if !strings.Contains(res.Message, "another identity of yours") {
		t.Errorf("message %q", res.Message)
	}
	f.run(t, bob, "ops approve "+id, ops.StatusOK)
}

// TestApprovalReauthorizesTheRequester: a requester who lost the
// permission after asking cannot have the request carried out by an
// approver; the answer names who no longer holds it.
func TestApprovalReauthorizesTheRequester(t *testing.T) {
	f := newFixture(t)
	id := f.request(t, olga)
	f.authz.revoked.Store(olga.String(), true)
	f.run(t, olga, "supervisor restart queue", ops.StatusDenied)
	res := f.run(t, bob, "ops approve "+id, ops.StatusDenied)
	if !strings.Contains(res.Message, "local:olga no longer holds the permission for supervisor.program.restart") {
		t.Errorf("message %q", res.Message)
	}
	if f.h.applied.Load() != 0 {
		t.Fatal("applied for a requester without the permission")
	}
	f.authz.revoked.Delete(olga.String())
	f.run(t, bob, "ops approve "+id, ops.StatusOK)
}

// TestStaleGroupsRefuseWrites: when the platform could not confirm group
// memberships lately, a write that rests on a group role is denied with
// the reason, reads still work, and roles bound to the user still count.
func TestStaleGroupsRefuseWrites(t *testing.T) {
	f := newFixture(t)
	stale := ops.Actor{Platform: "slack", ID: "U0OPS1", Groups: []string{"S0OPS"}, GroupsStale: true}
	res := f.run(t, stale, "supervisor restart queue", ops.StatusDenied)
	if !strings.Contains(res.Message, "could not confirm the group's members lately") {
		t.Errorf("message %q", res.Message)
	}
	f.run(t, stale, "ops whoami", ops.StatusOK)
	fresh := stale
	fresh.GroupsStale = false
	f.run(t, fresh, "supervisor restart queue", ops.StatusPending)
	admin := ops.Actor{Platform: "slack", ID: "UALICE", Groups: []string{"S0OPS"}, GroupsStale: true}
	f.run(t, admin, "supervisor stop queue", ops.StatusOK) // admin by user ID
}
