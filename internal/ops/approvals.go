package ops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/secret"
)

// idAlphabet leaves out letters and digits that are easy to confuse when
// an ID is read aloud or typed (0/o, 1/l/i).
const idAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func newApprovalID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// hold stores a planned write as pending and answers pending_approval.
// gate names the operations whose approval policy holds it; when an effect
// of the plan is among them, not the operation itself, the answer says so.
func (p *Pipeline) hold(ctx context.Context, actor Actor, op Operation, plan *Plan, gate []string) Result {
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	if res, stop := p.bound(ctx, actor, op); stop {
		return res
	}
	now := p.cfg.Now()
	diffs := Diffs(plan.Changes)
	a := Approval{
		ID: newApprovalID(), Op: op, Requester: actor,
		Summary: secret.Pairs(plan.Summary), Fingerprint: plan.Fingerprint,
		Created: now, Expires: now.Add(p.cfg.Policy.TTL), State: ApprovalPending,
	}
	res := Result{Operation: op.Name}
	if err := p.cfg.Approvals.Create(ctx, a); err != nil {
		return p.fail(res, Fail(err, "could not record the approval request"))
	}
	res.Status = StatusPending
	res.ApprovalID = a.ID
	res.Diffs = diffs
	why := ""
	if effects := slices.DeleteFunc(slices.Clone(gate), func(g string) bool { return g == op.Name }); len(effects) > 0 {
		why = fmt.Sprintf(" It amounts to %s, which needs approval.", strings.Join(effects, " and "))
	}
	res.setBody(Body{Parts: []Part{
		Prose(fmt.Sprintf("Approval required for %s (request %s, expires in %s).%s\n%s", op.Describe(), a.ID, p.cfg.Policy.TTL, why, a.Summary)),
		DiffsHere(),
		Prose(fmt.Sprintf("An approver decides with: /ops approve %s  or  /ops deny %s [reason]", a.ID, a.ID)),
	}})
	res.Data = map[string]any{"approval": a.shown()}
	return res
}

// decide handles /ops approve and /ops deny. Execute audits the decision;
// an approved operation is audited as a second entry carrying the approver.
func (p *Pipeline) decide(ctx context.Context, actor Actor, op Operation) Result {
	res := Result{Operation: op.Name}
	approve := true
	if d, _ := op.Get("decision"); d == "deny" {
		approve = false
	}
	reason, _ := op.Get("reason")

	a, err := p.cfg.Approvals.Get(ctx, op.Target)
	if errors.Is(err, ErrNotFound) {
		return p.fail(res, Invalidf("there is no approval request %q (see /ops approvals)", op.Target))
	} else if err != nil {
		return p.fail(res, Fail(err, "could not read the approval request"))
	}
	own := p.cfg.Authz.SamePerson(a.Requester, actor)
	// A requester may always withdraw their own request; otherwise deciding
	// takes an approver role.
	if !(own && !approve) && !p.isApprover(actor) {
		return p.fail(res, Deniedf("only holders of the role %s may decide approval requests",
			strings.Join(p.cfg.Policy.ApproverRoles, " or ")))
	}
	if approve && own && !p.cfg.Policy.AllowSelf {
		if !a.Requester.Same(actor) {
			return p.fail(res, Conflictf("you cannot approve request %s: it was asked by %s, another identity of yours (%s in rbac.people); another approver must",
				a.ID, a.Requester, p.cfg.Authz.Person(actor)))
		}
		return p.fail(res, Conflictf("you cannot approve your own request %s: another approver must", a.ID))
	}

	// Both people must hold what the operation needs when it runs: the
	// requester may have lost the permission since asking.
	if approve && !p.cfg.Authz.Allowed(a.Requester, a.Op.Name) {
		return p.fail(res, Deniedf("%s no longer holds the permission for %s, which %s asked for; nothing was done (the request stays pending until it expires or is denied)",
			a.Requester, a.Op.Name, a.ID))
	}

	state := ApprovalApproved
	if !approve {
		state = ApprovalDenied
	}
	a, err = p.cfg.Approvals.Decide(ctx, a.ID, state, actor, reason, p.cfg.Now())
	switch {
	case errors.Is(err, ErrExpired):
		return p.fail(res, Conflictf("approval request %s expired at %s; request it again", a.ID, a.Expires.UTC().Format(time.RFC3339)))
	case errors.Is(err, ErrDecided):
		who := "someone"
		if a.Decider != nil {
			who = a.Decider.String()
		}
		return p.fail(res, Conflictf("approval request %s was already %s by %s", a.ID, a.State, who))
	case err != nil:
		return p.fail(res, Fail(err, "could not record the decision"))
	}
	if !approve {
		res.Status = StatusOK
		res.Message = fmt.Sprintf("Denied %s (%s, requested by %s).", a.ID, a.Op.Describe(), a.Requester)
		if reason != "" {
			res.Message += " Reason: " + reason
		}
		res.Data = map[string]any{"approval": a.shown()}
		return res
	}
	applied := p.applyApproved(ctx, actor, a)
	applied.write = 0 // its audit entry is recorded; the decision's is not the write's
	if err := p.cfg.Approvals.Finish(ctx, a.ID, applied.Status); err != nil {
		p.cfg.Log.Error("could not record approval outcome", "approval", a.ID, "err", err)
	}
	applied.Operation = op.Name
	applied.ApprovalID = a.ID
	applied.prepend(fmt.Sprintf("Approved %s by %s: %s", a.ID, actor, a.Op.Describe()))
	return applied
}

// applyApproved plans the stored operation again and applies it only when the
// world still looks as it did when it was requested.
func (p *Pipeline) applyApproved(ctx context.Context, approver Actor, a Approval) Result {
	res := Result{Operation: a.Op.Name}
	ctx = withApproval(ctx, a.ID, approver.String())
	args := RedactArgs(a.Op.Args)
	// The requester's permission is judged again now (decide): so is
	// whether only a break-glass session gives it.
	if bg, ok := p.cfg.Authz.(BreakGlasser); ok {
		if id := bg.BreakGlass(a.Requester, a.Op.Name); id != "" {
			args = append(args, Arg{Key: BreakGlassArg, Value: id})
		}
	}
	defer func() {
		if res.Data == nil {
			res.Data = map[string]any{}
		}
		p.audit(ctx, AuditEntry{
			Actor: a.Requester.String(), ActorName: a.Requester.Name, Operation: a.Op.Name,
			Target: a.Op.Target, Args: args, Status: res.Status,
			Message: firstLine(res.Message), ApprovalID: a.ID, Approver: approver.String(),
			Write: res.write,
		}, a.Op)
	}()
	h, ok := p.handlers[a.Op.Name]
	if !ok {
		res = p.fail(res, Failedf("%s is not available on %s", a.Op.Name, p.cfg.Host))
		return res
	}
	plan, err := h.Plan(ctx, Request{Actor: a.Requester, Op: a.Op})
	if err != nil {
		res = p.fail(res, err)
		return res
	}
	if plan.Fingerprint != a.Fingerprint {
		res = p.fail(res, Conflictf("what %s would change has changed since it was requested; nothing was done. Now:\n%s", a.ID, secret.Pairs(plan.Summary)))
		return res
	}
	res = p.apply(ctx, res, a.Op, plan, VersionMeta{Actor: a.Requester, Operation: a.Op.Name, ApprovalID: a.ID, Approver: approver.String()})
	return res
}

func (p *Pipeline) isApprover(a Actor) bool {
	for _, r := range p.cfg.Authz.Roles(a) {
		if slices.Contains(p.cfg.Policy.ApproverRoles, r) {
			return true
		}
	}
	return false
}

func (p *Pipeline) listApprovals(ctx context.Context, _ Request) (Outcome, error) {
	list, err := p.cfg.Approvals.Pending(ctx, p.cfg.Now())
	if err != nil {
		return Outcome{}, Fail(err, "could not read approval requests")
	}
	if len(list) == 0 {
		return Outcome{Message: "No pending approval requests.", Data: map[string]any{"approvals": []Approval{}}}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d pending approval request(s):\n", len(list))
	for i, a := range list {
		list[i] = a.shown()
		fmt.Fprintf(&b, "  %s  %s  requested by %s, expires %s\n", a.ID, a.Op.Describe(), a.Requester,
			a.Expires.UTC().Format("15:04:05 UTC"))
	}
	return Outcome{Message: strings.TrimRight(b.String(), "\n"), Data: map[string]any{"approvals": list}}, nil
}

// shown is a as answers show it: the stored operation keeps every value,
// to be planned again when decided; what anyone sees has its secrets masked.
func (a Approval) shown() Approval {
	a.Op = a.Op.Redacted()
	return a
}
