package fleet

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// A write to a host group is a roll: the hub applies it host after host,
// each step reported (ops.Run) and audited, and stops at the first host
// whose apply fails; the hosts after it are left untouched. Between hosts
// the roll can be cancelled with /ops cancel on the hub. With --rolling the
// agent's own apply does what is rolling within its host (a rolling restart,
// a verified reload), so a host is healthy when its apply answered ok.
//
// --on-failure rollback (SPEC §6) undoes, when a host fails, what the hosts
// before it changed, each through its own validated path: the agent gets
// the rollback operation of the file kind it changed, as a normal apply with
// the same actor and approval, so the undo is itself a new version in that
// host's history. A file the write created (nothing before) is undone by
// deleting it through the kind's delete operation: the history's rollback
// of a first version has no earlier version to go back to. A cancel is not
// a failure: what was applied before it stays.

// onFailure is the flag that says what a group write does when a host fails.
var onFailure = catalog.OnFailureFlag.Name

// The values of --on-failure.
const (
	failStop     = "stop"
	failRollback = "rollback"
)

var policyText = map[string]string{
	failStop:     "stops at the first host that fails",
	failRollback: "if a host fails, stops there and rolls back the hosts already changed",
}

// failurePolicy is the --on-failure of a group write, checked against its
// plans: a rollback needs files to restore, of a kind the hub can undo.
func (h *Hub) failurePolicy(req ops.Request, plans []*ops.Plan) (string, error) {
	policy, _ := req.Op.Get(onFailure)
	switch policy {
	case "", failStop:
		return failStop, nil
	case failRollback:
	default:
		return "", ops.InvalidField(onFailure, "--on-failure takes stop or rollback, not %q", policy)
	}
	files := 0
	for _, p := range plans {
		for _, c := range p.Changes {
			files++
			if _, ok := h.fileOps(c.Kind); !ok {
				return "", ops.InvalidField(onFailure, "--on-failure rollback cannot undo %s's change of %s (files of kind %s have no rollback); use --on-failure stop",
					req.Op.Describe(), c.Name, c.Kind)
			}
		}
	}
	if files == 0 {
		return "", ops.InvalidField(onFailure, "--on-failure rollback undoes the files a write changes, and %s changes no file (a restart, reload or signal cannot be taken back); use --on-failure stop",
			req.Op.Describe())
	}
	return failRollback, nil
}

// fileOps returns the operations that manage files of kind ("fpm.pool@8.2"
// is an fpm.pool of one PHP instance).
func (h *Hub) fileOps(kind string) (ops.FileOps, bool) {
	base, _, _ := strings.Cut(kind, "@")
	fo, ok := h.cfg.Files[base]
	return fo, ok && fo.Rollback != "" && fo.Delete != ""
}

// Undo is what a rollback after a failed group write did on one host.
type Undo struct {
	Host      string     `json:"host"`
	Operation string     `json:"operation"`
	Target    string     `json:"target"`
	Status    ops.Status `json:"status"`
	Message   string     `json:"message"`
}

// rollGroup applies a planned group write host after host.
func (h *Hub) rollGroup(ctx context.Context, hosts []string, plans []*ops.Plan, req ops.Request, policy string) (ops.Outcome, error) {
	run := ops.RunOf(ctx)
	progress := ops.Progress{Title: fmt.Sprintf("%s on %s, host after host", req.Op.Describe(), req.Op.Host)}
	for _, host := range hosts {
		progress.Steps = append(progress.Steps, ops.Step{Name: host, Items: []string{host}, State: ops.StepWaiting})
	}
	run.Report(progress)
	results := make([]HostResult, 0, len(hosts))
	var lead []string
	failed := -1
	for i, host := range hosts {
		step := &progress.Steps[i]
		if by, ok := run.Cancelled(); ok {
			why := "not applied: cancelled by " + by + " before " + host
			results = append(results, leave(progress.Steps[i:], why)...)
			lead = append(lead, fmt.Sprintf("Cancelled by %s before %s: applied on %d of %d hosts; the rest are untouched.", by, host, i, len(hosts)))
			break
		}
		step.State = ops.StepRunning
		run.Report(progress)
		r, err := h.applyInRoll(ctx, host, req, plans[i].Fingerprint, func(p ops.Progress) {
			step.Note = hostNote(p)
			run.Report(progress)
		})
		hr := hostResult(host, r, err)
		results = append(results, hr)
		if hr.Status != ops.StatusOK {
			step.State, step.Note = ops.StepFailed, firstLine(hr.Message)
			run.Audit(ctx, *step)
			results = append(results, leave(progress.Steps[i+1:], "not applied: stopped after "+host+" failed")...)
			lead = append(lead, fmt.Sprintf("The roll stopped at %s, which failed.", host))
			failed = i
			break
		}
		step.State = ops.StepDone
		run.Audit(ctx, *step)
		run.Report(progress)
	}
	var undos []Undo
	if failed >= 0 && policy == failRollback {
		// The failed host too, if its apply left a file changed.
		undos = h.undo(ctx, req, results[:failed+1])
		lead = append(lead, undoText(undos))
	}
	progress.Finished = true
	progress = run.Report(progress)
	parts := []ops.Part{ops.Prose(strings.Join(lead, " ")), ops.RowsTable(progress.Rows()...)}
	if len(lead) == 0 {
		parts = parts[1:]
	}
	if len(undos) > 0 {
		rows := [][]string{{"HOST", "UNDO", "OF", "STATUS"}}
		var why []ops.Part
		for _, u := range undos {
			rows = append(rows, []string{u.Host, u.Operation, u.Target, string(u.Status)})
			if u.Status != ops.StatusOK {
				why = append(why, ops.Prose(fmt.Sprintf("The undo of %s on %s (%s) failed:\n%s", u.Target, u.Host, u.Operation, u.Message)))
			}
		}
		parts = append(append(parts, ops.RowsTable(rows...)), why...)
	}
	extra := map[string]any{"roll": progress}
	if policy == failRollback {
		extra["undo"] = undos
	}
	return combine(req.Op.Host, results, parts, extra)
}

// applyInRoll applies a group roll's write on host, handing the agent's
// progress reports to take, and marks host as the one /ops cancel of the
// run reaches until it answers.
func (h *Hub) applyInRoll(ctx context.Context, host string, req ops.Request, fingerprint string, take func(ops.Progress)) (Reply, error) {
	if run := ops.RunOf(ctx); run != nil {
		h.applying.Store(run.ID, host)
		defer h.applying.Delete(run.ID)
	}
	feed := h.watchProgress(ctx, host, take)
	defer feed.close()
	return h.sendWatching(ctx, host, KindApply, max(h.cfg.Timeout, ApplyTimeout), h.applyRequest(ctx, req, fingerprint), feed)
}

// leave marks steps untouched and returns their hosts' results.
func leave(steps []ops.Step, why string) []HostResult {
	out := make([]HostResult, len(steps))
	for i := range steps {
		steps[i].State, steps[i].Note = ops.StepUntouched, why
		out[i] = HostResult{Host: steps[i].Name, Status: ops.StatusFailed, Untouched: true, Message: why, Data: map[string]any{}}
	}
	return out
}

// undo rolls back, on each host of results, the files its apply changed.
func (h *Hub) undo(ctx context.Context, req ops.Request, results []HostResult) []Undo {
	ctx = context.WithoutCancel(ctx) // an undo is not cut short by the one who asked going away
	var out []Undo
	for _, hr := range results {
		seen := map[string]bool{}
		for _, c := range hr.Changes {
			if seen[c.Kind+"\x00"+c.Name] {
				continue
			}
			seen[c.Kind+"\x00"+c.Name] = true
			fo, _ := h.fileOps(c.Kind) // failurePolicy checked the plans' kinds
			op := ops.Operation{Name: fo.Rollback, Target: c.Name}
			if c.Before == nil { // created by this write: nothing to go back to
				op.Name = fo.Delete
			}
			if php, ok := req.Op.Get(catalog.Instance); ok { // the instance the write went to
				op.Args = []ops.Arg{{Key: catalog.Instance, Value: php}}
			}
			op.Text = strings.ReplaceAll(op.Name, ".", " ") + " " + c.Name
			fp, err := h.undoPlan(ctx, hr.Host, req.Actor, op, c)
			if err != nil {
				status, msg := ops.UserError(err)
				out = append(out, Undo{Host: hr.Host, Operation: op.Name, Target: c.Name, Status: status, Message: msg})
				continue
			}
			areq := h.applyRequest(ctx, ops.Request{Actor: req.Actor, Op: op}, fp)
			r, err := h.send(ctx, hr.Host, KindApply, max(h.cfg.Timeout, ApplyTimeout), areq)
			res := hostResult(hr.Host, r, err)
			out = append(out, Undo{Host: hr.Host, Operation: op.Name, Target: c.Name, Status: res.Status, Message: res.Message})
		}
	}
	return out
}

// undoPlan plans op, the undo of c on host, and returns its fingerprint
// when it takes back exactly c: the file is still as this write left it,
// and goes back to what it was before. The history's rollback undoes the
// last change of the file, which is someone else's when they changed it
// since; that undo is refused. The fingerprint makes the agent refuse the
// apply if the file changes after this plan too.
func (h *Hub) undoPlan(ctx context.Context, host string, actor ops.Actor, op ops.Operation, c ops.FileChange) (string, error) {
	r, err := h.send(ctx, host, KindPlan, h.cfg.Timeout, Request{Actor: actor, Op: op})
	if err != nil {
		return "", unreachableErr(err)
	}
	if r.Status != "" && r.Status != ops.StatusOK {
		return "", replyErr(r)
	}
	for _, u := range r.Changes {
		if u.Path != c.Path {
			continue
		}
		if !bytes.Equal(u.Before, c.After) || !bytes.Equal(u.After, c.Before) {
			break
		}
		return r.Fingerprint, nil
	}
	fo, _ := h.fileOps(c.Kind)
	return "", ops.Conflictf("%s on %s was changed since this write changed it, by someone else (/%s %s shows it); its undo would take back that change, so the file was left as it is",
		c.Name, host, strings.ReplaceAll(fo.History, ".", " "), c.Name)
}

func undoText(undos []Undo) string {
	if len(undos) == 0 {
		return "No host had changed a file, so there was nothing to roll back."
	}
	var ok, bad []string
	for _, u := range undos {
		if u.Status == ops.StatusOK {
			ok = append(ok, u.Target+" on "+u.Host)
		} else {
			bad = append(bad, u.Target+" on "+u.Host)
		}
	}
	text := ""
	if len(ok) > 0 {
		text = "Rolled back " + strings.Join(ok, ", ") + "."
	}
	if len(bad) > 0 {
		text = strings.TrimSpace(text + " Could not roll back " + strings.Join(bad, ", ") + " (why is below).")
	}
	return text
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Cancel passes /ops cancel of a hub run on to the agent applying it
// (ops.Config.Cancel): the agent's run has the hub run's ID, and the agent
// applies its own rule of who may cancel it. A group roll is the hub's own
// and stops on the hub, between hosts; the host it is applying on when the
// cancel comes is told too, so that its own roll stops between batches.
// That host may have finished already: the hub's cancel stands either way.
func (h *Hub) Cancel(ctx context.Context, r *ops.Run, by ops.Actor) error {
	hosts := h.expand(r.Op.Host)
	if r.Op.Host == "" || len(hosts) != 1 || hosts[0] != r.Op.Host {
		if host, ok := h.applying.Load(r.ID); ok {
			if err := h.cancelOn(ctx, host.(string), r, by); err != nil {
				h.cfg.Log.Info("fleet hub: a group roll's cancel did not reach its current host's run", "run", r.ID, "host", host, "err", err)
			}
		}
		return nil
	}
	return h.cancelOn(ctx, r.Op.Host, r, by)
}

// cancelOn asks host's agent to cancel its run of r.
func (h *Hub) cancelOn(ctx context.Context, host string, r *ops.Run, by ops.Actor) error {
	op := ops.Operation{Name: "ops.cancel", Target: r.ID, Text: "ops cancel " + r.ID}
	rep, err := h.send(ctx, host, KindApply, h.cfg.Timeout, Request{Actor: by, Op: op})
	if _, err := outcome(rep, err); err != nil {
		status, msg := ops.UserError(err)
		return &ops.Error{Status: status, Msg: fmt.Sprintf("run %s is marked cancelled on the hub, but the agent on %s answered: %s", r.ID, host, msg), Err: err}
	}
	return nil
}
