package ops_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestIdenticalPendingRequestIsAnsweredWithTheExistingOne(t *testing.T) {
	f := newFixture(t)
	first := f.request(t, olga)
	again := f.run(t, olga, "supervisor restart queue", ops.StatusPending)
	if again.ApprovalID != first {
		t.Fatalf("identical request got approval %s, want the existing %s", again.ApprovalID, first)
	}
	if !strings.Contains(again.Message, "already asked") || !strings.Contains(again.Message, first) {
		t.Errorf("the answer does not say the request exists: %s", again.Message)
	}
	data, _ := again.Data.(map[string]any)
	if _, posted := data["approval"]; posted {
		t.Errorf("a repeated request carries a new approval to post: %v", data)
	}
	pending := f.run(t, vic, "ops approvals", ops.StatusOK)
	if n := len(pending.Data.(map[string]any)["approvals"].([]ops.Approval)); n != 1 {
		t.Fatalf("%d pending approvals after an identical request, want 1", n)
	}

	// Another person, another target, or other flags make a new request.
	for _, c := range []struct {
		who  ops.Actor
		text string
	}{
		{alice, "supervisor restart queue"},
		{olga, "supervisor restart web"},
		{alice, "supervisor rollback queue 2"},
		{alice, "supervisor rollback queue 3"},
	} {
		if id := f.run(t, c.who, c.text, ops.StatusPending).ApprovalID; id == first {
			t.Errorf("%s %q answered with %s, which is another request", c.who, c.text, first)
		}
	}

	if a, b := f.run(t, alice, "supervisor rollback queue 2", ops.StatusPending).ApprovalID,
		f.run(t, alice, "supervisor rollback queue 3", ops.StatusPending).ApprovalID; a == b {
		t.Errorf("requests with other values were answered with one approval %s", a)
	}

	// Once the first is decided, asking again is a new request.
	f.run(t, bob, "ops deny "+first, ops.StatusOK)
	if id := f.request(t, olga); id == first {
		t.Fatal("a decided request was offered again as pending")
	}
}

func TestPendingRequestsPerPersonAreCapped(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range ops.DefaultMaxPendingPerPerson {
		ids = append(ids, f.run(t, olga, fmt.Sprintf("supervisor restart p%d", i), ops.StatusPending).ApprovalID)
	}
	res := f.run(t, olga, "supervisor restart one-more", ops.StatusConflict)
	if !strings.Contains(res.Message, "approvals.max_pending_per_person") || res.ApprovalID != "" {
		t.Fatalf("over the cap: %q (approval %q)", res.Message, res.ApprovalID)
	}
	// The cap is per person: alice may still ask.
	f.run(t, alice, "supervisor restart one-more", ops.StatusPending)
	// An identical request is still answered, not refused.
	f.run(t, olga, "supervisor restart p0", ops.StatusPending)
	// Withdrawing one makes room.
	f.run(t, olga, "ops deny "+ids[0], ops.StatusOK)
	f.run(t, olga, "supervisor restart one-more", ops.StatusPending)

	// Expired requests do not count.
	later := f.now.Load().Add(time.Hour)
	f.now.Store(&later)
	f.run(t, olga, "supervisor restart after-expiry", ops.StatusPending)
}

func TestApprovalsPruneKeepsPending(t *testing.T) {
	f := newFixture(t)
	decided := f.request(t, olga)
	f.run(t, bob, "ops deny "+decided, ops.StatusOK)
	pending := f.run(t, olga, "supervisor restart web", ops.StatusPending).ApprovalID

	n, err := f.store.Prune(context.Background(), f.now.Load().Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want the one decided request", n, err)
	}
	if _, err := f.store.Get(context.Background(), decided); err != ops.ErrNotFound {
		t.Errorf("decided request after pruning: %v", err)
	}
	if _, err := f.store.Get(context.Background(), pending); err != nil {
		t.Errorf("pending request was pruned: %v", err)
	}
	// Past its expiry, a request nobody decided goes too.
	if n, err := f.store.Prune(context.Background(), f.now.Load().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune after expiry = %d, %v", n, err)
	}
}
