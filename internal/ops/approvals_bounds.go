package ops

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// DefaultMaxPendingPerPerson is how many requests one person may have
// waiting for approval at once when the policy does not say.
const DefaultMaxPendingPerPerson = 10

// bound keeps the approval queue bounded before a new request is stored.
// An identical request of the same person that is still pending is
// answered with that request, and nothing new is recorded or posted; a
// person who already has the most pending requests the policy allows is
// refused. It returns the answer and true when the request must not be
// stored.
//
// It runs under holdMu, so two identical requests in this process cannot
// both be stored; exec and serve are separate processes and may, rarely,
// each store one.
func (p *Pipeline) bound(ctx context.Context, actor Actor, op Operation) (Result, bool) {
	res := Result{Operation: op.Name}
	list, err := p.cfg.Approvals.Pending(ctx, p.cfg.Now())
	if err != nil {
		return p.fail(res, Fail(err, "could not read the pending approval requests")), true
	}
	mine := 0
	for _, a := range list {
		if !p.cfg.Authz.SamePerson(a.Requester, actor) {
			continue
		}
		if sameRequest(a.Op, op) {
			res.Status = StatusPending
			res.ApprovalID = a.ID
			res.Message = fmt.Sprintf("You already asked for this: request %s (%s) is waiting for approval and expires in %s. Nothing new was recorded or posted.\nAn approver decides with: /ops approve %s  or  /ops deny %s [reason]",
				a.ID, a.Op.Redacted().Describe(), a.Expires.Sub(p.cfg.Now()).Round(time.Second), a.ID, a.ID)
			// Not "approval": surfaces post that, with its buttons, as a new
			// request; this one was posted when it was made.
			res.Data = map[string]any{"existing_approval": a.shown()}
			return res, true
		}
		mine++
	}
	if max := p.maxPending(); mine >= max {
		return p.fail(res, Conflictf("you already have %d approval requests waiting, the most one person may have (approvals.max_pending_per_person: %d); nothing was recorded. Ask again once one is decided or expires, or have one denied (/ops deny ID); /ops approvals lists them",
			mine, max)), true
	}
	return Result{}, false
}

func (p *Pipeline) maxPending() int {
	if n := p.cfg.Policy.MaxPendingPerPerson; n > 0 {
		return n
	}
	return DefaultMaxPendingPerPerson
}

// sameRequest reports whether a and b ask for the same thing on the same
// host: operation, target and flags (in order), whatever way they were
// typed.
func sameRequest(a, b Operation) bool {
	return a.Name == b.Name && a.Host == b.Host && a.Target == b.Target && slices.Equal(a.Args, b.Args)
}
