package ops

import (
	"context"
	"errors"
)

// The two methods below serve operations that were authorized elsewhere: in
// fleet mode the hub checks roles and approvals, and the agent on each host
// plans and applies through its own handlers. The agent still keeps its own
// records: the versions of what it wrote and an audit entry for what it ran.

// PlanAuthorized plans op for actor without this pipeline's authorization
// or approval gate.
func (p *Pipeline) PlanAuthorized(ctx context.Context, actor Actor, op Operation) (*Plan, error) {
	h, ok := p.handlers[op.Name]
	if !ok || op.Name == "ops.approve" {
		return nil, Failedf("%s is not available on %s", op.Name, p.cfg.Host)
	}
	return h.Plan(ctx, Request{Actor: actor, Op: op})
}

// ApplyAuthorized plans op again and applies it. A non-empty fingerprint
// must match the new plan's: the world must still look as it did when the
// hub planned (and an approver looked). The files written are recorded as
// versions with meta, and the run is audited with the approval it carries.
// On failure the returned Outcome still holds the files a failed apply left
// changed.
func (p *Pipeline) ApplyAuthorized(ctx context.Context, actor Actor, op Operation, fingerprint string, meta VersionMeta) (out Outcome, err error) {
	start := p.cfg.Now()
	defer func() {
		res := Result{Operation: op.Name, Status: StatusOK, Message: out.Text()}
		if err != nil {
			res.Status, res.Message = UserError(err)
		}
		p.observe(op.Name, res.Status, start)
		p.audit(ctx, AuditEntry{
			Actor: actor.String(), ActorName: actor.Name, Operation: op.Name, Target: op.Target,
			Args: RedactArgs(op.Args), Status: res.Status, Message: firstLine(res.Message),
			ApprovalID: meta.ApprovalID, Approver: meta.Approver,
		}, Operation{Name: op.Name, Text: op.Text})
	}()
	plan, err := p.PlanAuthorized(ctx, actor, op)
	if err != nil {
		return Outcome{}, err
	}
	if fingerprint != "" && plan.Fingerprint != fingerprint {
		return Outcome{}, Conflictf("what %s would change on %s has changed since it was planned; nothing was done. Now:\n%s",
			op.Describe(), p.cfg.Host, plan.Summary)
	}
	runCtx, end := p.startRun(ctx, op, VersionMeta{Actor: actor, Approver: meta.Approver})
	out, err = plan.Apply(runCtx)
	end()
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			out.Changes = e.Changes
		}
	}
	meta.Actor, meta.Operation = actor, op.Name
	p.recordVersions(ctx, out.Changes, meta)
	return out, err
}

type approvedKey struct{}

// Approved returns the approval an apply carries out, when it carries one
// out: the approval's ID and who approved it. A handler whose apply runs
// elsewhere (a fleet hub's) passes them on.
func Approved(ctx context.Context) (id, approver string, ok bool) {
	v, ok := ctx.Value(approvedKey{}).([2]string)
	return v[0], v[1], ok
}

func withApproval(ctx context.Context, id, approver string) context.Context {
	return context.WithValue(ctx, approvedKey{}, [2]string{id, approver})
}
