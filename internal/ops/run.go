package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A long write (a rolling restart, a roll across hosts) goes in steps: it
// reports each step's progress through the Run its apply gets, and asks the
// Run between steps whether someone stopped it with /ops cancel. Every
// apply gets a Run; one that does not go in steps never looks at it.

// StepState is where a step of a run stands.
type StepState string

// The states of a step.
const (
	StepWaiting StepState = "waiting" // not begun yet
	StepRunning StepState = "running"
	StepDone    StepState = "done"
	StepFailed  StepState = "failed"
	// StepUntouched is a step left alone: after a failure or a cancel.
	StepUntouched StepState = "untouched"
)

// Step is one step of a run: a batch of processes, or one host.
type Step struct {
	Name  string    `json:"name"`  // "batch 2", or a host
	Items []string  `json:"items"` // what it acts on: processes, or the host
	State StepState `json:"state"`
	// Note says how it ended when that needs words: why it failed.
	Note string `json:"note,omitempty"`
}

// Progress is how far a run has come, as surfaces draw it: a chat message
// updated in place, a line per step in the shell.
type Progress struct {
	RunID     string `json:"run_id"`
	Operation string `json:"operation"`
	// Title says what runs, like "Rolling restart of queue:* on web1".
	Title string `json:"title"`
	Steps []Step `json:"steps"`
	// ElapsedMS is the time since the run began, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
	// Finished is set on the last report of a run.
	Finished bool `json:"finished,omitempty"`
	// CancelledBy names who stopped the run, once someone has.
	CancelledBy string `json:"cancelled_by,omitempty"`
	// Requester asked for the run; Approver approved it, if anyone did.
	Requester Actor  `json:"requester"`
	Approver  string `json:"approver,omitempty"`
}

// Elapsed is the time since the run began.
func (p Progress) Elapsed() time.Duration { return time.Duration(p.ElapsedMS) * time.Millisecond }

// Current is the step running now, or the next one to run, or nil.
func (p Progress) Current() *Step {
	for i := range p.Steps {
		if s := p.Steps[i].State; s == StepRunning || s == StepWaiting {
			return &p.Steps[i]
		}
	}
	return nil
}

// Count is how many steps are in state s.
func (p Progress) Count(s StepState) int {
	n := 0
	for _, st := range p.Steps {
		if st.State == s {
			n++
		}
	}
	return n
}

// Line is the progress in one line of plain text, as the shell prints it
// after each step.
func (p Progress) Line() string {
	done := p.Count(StepDone)
	line := fmt.Sprintf("[%s] %s: %d/%d done", p.RunID, p.Title, done, len(p.Steps))
	for _, s := range p.Steps {
		if s.State == StepRunning {
			line += fmt.Sprintf(", %s running (%s", s.Name, strings.Join(s.Items, ", "))
			// Where the step itself stands: a fleet host's own batches.
			if note, _, _ := strings.Cut(s.Note, "\n"); note != "" {
				line += "; " + note
			}
			line += ")"
		}
		if s.State == StepFailed {
			line += fmt.Sprintf(", %s failed", s.Name)
		}
	}
	line += fmt.Sprintf(", %s elapsed", p.Elapsed().Round(100*time.Millisecond))
	switch {
	case p.CancelledBy != "" && p.Finished:
		line += "; cancelled by " + p.CancelledBy
	case p.CancelledBy != "":
		line += "; cancelling after this step (" + p.CancelledBy + ")"
	case !p.Finished:
		line += fmt.Sprintf("; /ops cancel %s stops it", p.RunID)
	}
	return line
}

// Rows is the steps as a table, header first, for a result's text.
func (p Progress) Rows() [][]string {
	rows := [][]string{{"STEP", "STATE", "ON", "NOTE"}}
	for _, s := range p.Steps {
		note, _, _ := strings.Cut(s.Note, "\n")
		rows = append(rows, []string{s.Name, string(s.State), strings.Join(s.Items, ", "), note})
	}
	return rows
}

// Watcher is told of each report of a run: a surface updates its message.
// It is called on the run's goroutine and must return quickly.
type Watcher func(Progress)

type watcherKey struct{}

// WithWatcher returns ctx carrying w: the runs applied under it report to w.
func WithWatcher(ctx context.Context, w Watcher) context.Context {
	return context.WithValue(ctx, watcherKey{}, w)
}

// WatcherOf returns the watcher ctx carries, or nil: a surface that passes
// a request on to another process (the shell's socket client) hands that
// process's reports to it.
func WatcherOf(ctx context.Context) Watcher {
	w, _ := ctx.Value(watcherKey{}).(Watcher)
	return w
}

// Run is one apply under way. Its ID is what /ops cancel takes.
type Run struct {
	ID        string
	Op        Operation
	Requester Actor
	Approver  string // who approved it, if anyone did
	started   time.Time
	p         *Pipeline
	watch     Watcher

	mu          sync.Mutex
	cancelledBy string
	last        *Progress // the last report, sent again when cancelled
	stored      bool      // in the RunStore, once it reported
}

type runKey struct{}

// RunOf returns the run that ctx applies, or nil outside an apply. Its
// methods do nothing on nil, so a handler may call them anyway.
func RunOf(ctx context.Context) *Run {
	r, _ := ctx.Value(runKey{}).(*Run)
	return r
}

type runIDKey struct{}

// WithRunID returns ctx asking that the run applied under it take id: a
// fleet agent's run takes the ID the hub's run has, so /ops cancel on the
// hub names both.
func WithRunID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, runIDKey{}, id)
}

// Cancelled reports whether someone asked to stop the run, and who.
func (r *Run) Cancelled() (by string, yes bool) {
	if r == nil {
		return "", false
	}
	r.mu.Lock()
	by, stored := r.cancelledBy, r.stored
	r.mu.Unlock()
	if by == "" && stored && r.p.cfg.Runs != nil { // cancelled from another process?
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if rec, err := r.p.cfg.Runs.Get(ctx, r.ID); err == nil && rec.CancelledBy != "" {
			r.cancel(rec.CancelledBy)
			by = rec.CancelledBy
		}
	}
	return by, by != ""
}

func (r *Run) cancel(by string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancelledBy != "" {
		return false
	}
	r.cancelledBy = by
	return true
}

// Report tells the run's watcher how far it has come, and returns p as
// the watcher saw it: with the run's ID, operation, people and elapsed
// time filled in (p as it is, outside a run).
func (r *Run) Report(p Progress) Progress {
	if r == nil {
		return p
	}
	p.RunID, p.Operation, p.Requester, p.Approver = r.ID, r.Op.Name, r.Requester, r.Approver
	p.ElapsedMS = r.p.cfg.Now().Sub(r.started).Milliseconds()
	p.Steps = append([]Step(nil), p.Steps...)
	r.store()
	r.mu.Lock()
	p.CancelledBy = r.cancelledBy
	last := p
	r.last = &last
	r.mu.Unlock()
	if r.watch != nil {
		r.watch(p)
	}
	return p
}

// store records the run in the RunStore the first time it reports, so
// that /ops cancel from another process reaches it: only runs that go in
// steps report.
func (r *Run) store() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stored || r.p.cfg.Runs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.p.cfg.Runs.Begin(ctx, RunRecord{ID: r.ID, Op: r.Op, Requester: r.Requester, Approver: r.Approver, Started: r.started})
	if err != nil {
		r.p.cfg.Log.Error("could not record a run; /ops cancel reaches it only from this process", "run", r.ID, "err", err)
		return
	}
	r.stored = true
}

func (r *Run) isStored() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stored
}

// Elapsed is the time since the run began.
func (r *Run) Elapsed() time.Duration {
	if r == nil {
		return 0
	}
	return r.p.cfg.Now().Sub(r.started)
}

// Audit records one step of the run as an audit entry of its own, with
// the run's ID, the step and what it acted on; the run as a whole is
// recorded as every request is.
func (r *Run) Audit(ctx context.Context, s Step) {
	if r == nil {
		return
	}
	status := StatusOK
	switch s.State {
	case StepFailed:
		status = StatusFailed
	case StepUntouched, StepWaiting:
		return // nothing was done: the run's own entry says what was left
	}
	msg := fmt.Sprintf("%s of run %s: %s", s.Name, r.ID, s.State)
	if s.Note != "" {
		msg += ": " + s.Note
	}
	approval, _, _ := Approved(ctx)
	r.p.audit(context.WithoutCancel(ctx), AuditEntry{
		Actor: r.Requester.String(), ActorName: r.Requester.Name, Operation: r.Op.Name, Target: r.Op.Target,
		Args:   []Arg{{Key: "run", Value: r.ID}, {Key: "step", Value: s.Name}, {Key: "on", Value: strings.Join(s.Items, ",")}},
		Status: status, Message: firstLine(msg), ApprovalID: approval, Approver: r.Approver,
	}, r.Op)
}

// runs are the applies under way in one pipeline, by ID.
type runs struct {
	mu  sync.Mutex
	all map[string]*Run
}

// begin registers the run of op's apply and returns ctx carrying it.
func (p *Pipeline) startRun(ctx context.Context, op Operation, meta VersionMeta) (context.Context, func()) {
	id, _ := ctx.Value(runIDKey{}).(string)
	if id == "" {
		id = newApprovalID()
	}
	w := WatcherOf(ctx)
	r := &Run{ID: id, Op: op, Requester: meta.Actor, Approver: meta.Approver, started: p.cfg.Now(), p: p, watch: w}
	p.runs.mu.Lock()
	if p.runs.all == nil {
		p.runs.all = map[string]*Run{}
	}
	p.runs.all[id] = r
	p.runs.mu.Unlock()
	return context.WithValue(ctx, runKey{}, r), func() {
		p.runs.mu.Lock()
		delete(p.runs.all, id)
		p.runs.mu.Unlock()
		if r.isStored() {
			if err := p.cfg.Runs.End(context.WithoutCancel(ctx), id); err != nil {
				p.cfg.Log.Error("could not record the end of a run", "run", id, "err", err)
			}
		}
	}
}

// RunRecord is a run as the RunStore keeps it.
type RunRecord struct {
	ID          string
	Op          Operation
	Requester   Actor
	Approver    string
	Started     time.Time
	CancelledBy string
}

// RunStore keeps the runs under way where every poolvisor process on the
// host sees them, so that /ops cancel reaches a run wherever it started.
type RunStore interface {
	Begin(ctx context.Context, r RunRecord) error
	// Get returns the run, or ErrNotFound when it is not under way.
	Get(ctx context.Context, id string) (RunRecord, error)
	// Cancel records who cancelled the run, unless someone already did:
	// first says whether this call did.
	Cancel(ctx context.Context, id, by string) (r RunRecord, first bool, err error)
	End(ctx context.Context, id string) error
}

// Canceller stops a run that is not this pipeline's own: a fleet hub
// passes /ops cancel on to the agent whose run it is.
type Canceller func(ctx context.Context, r *Run, by Actor) error

// cancelRun handles /ops cancel ID: the run stops before its next step.
// Its requester, its approver and approvers may stop it. A run of another
// process on this host is cancelled through the RunStore.
func (p *Pipeline) cancelRun(ctx context.Context, req Request) (Outcome, error) {
	id := req.Op.Target
	p.runs.mu.Lock()
	r := p.runs.all[id]
	p.runs.mu.Unlock()
	rec := RunRecord{ID: id}
	switch {
	case r != nil:
		rec.Op, rec.Requester, rec.Approver = r.Op, r.Requester, r.Approver
	case p.cfg.Runs != nil:
		var err error
		if rec, err = p.cfg.Runs.Get(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return Outcome{}, Fail(err, "could not read run %s", id)
		}
	}
	if rec.Op.Name == "" {
		return Outcome{}, Invalidf("no run %q is under way on %s (it may have finished: /ops audit shows how it ended)", id, p.cfg.Host)
	}
	if !p.cfg.Authz.SamePerson(rec.Requester, req.Actor) && rec.Approver != req.Actor.String() && !p.isApprover(req.Actor) {
		return Outcome{}, Deniedf("only %s, who asked for run %s, or an approver (%s) may cancel it",
			rec.Requester, id, strings.Join(p.cfg.Policy.ApproverRoles, ", "))
	}
	by, first := req.Actor.String(), true
	if r != nil {
		first = r.cancel(by)
		if !first {
			by, _ = r.Cancelled()
		}
	}
	if p.cfg.Runs != nil && (r == nil || r.isStored()) {
		got, stored, err := p.cfg.Runs.Cancel(ctx, id, by)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Outcome{}, Fail(err, "could not cancel run %s", id)
		}
		if r == nil {
			first, by = stored, got.CancelledBy
		}
	}
	if !first {
		return Outcome{Message: fmt.Sprintf("Run %s is already being cancelled (by %s); it stops before its next step.", id, by),
			Data: map[string]any{"run_id": id, "cancelled_by": by}}, nil
	}
	if p.cfg.Cancel != nil && r != nil {
		if err := p.cfg.Cancel(ctx, r, req.Actor); err != nil {
			return Outcome{}, err
		}
	}
	if r != nil {
		r.mu.Lock()
		last := r.last
		r.mu.Unlock()
		if last != nil { // the surfaces show that it is being cancelled
			r.Report(*last)
		}
	}
	return Outcome{Message: fmt.Sprintf("Cancelling run %s (%s, asked by %s): it stops before its next step; what has begun finishes.",
		id, rec.Op.Describe(), rec.Requester), Data: map[string]any{"run_id": id, "cancelled_by": by}}, nil
}
