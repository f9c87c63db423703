package ops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/secret"
	"github.com/poolvisor/poolvisor/internal/testhook"
)

// ApprovalPolicy says which operations wait for a second person, and who may decide.
type ApprovalPolicy struct {
	Required      []string
	ApproverRoles []string
	AllowSelf     bool
	TTL           time.Duration
	// MaxPendingPerPerson caps the requests one person may have waiting
	// at once; 0: DefaultMaxPendingPerPerson.
	MaxPendingPerPerson int
}

func (p ApprovalPolicy) requires(op string) bool {
	for _, r := range p.Required {
		if r == op {
			return true
		}
	}
	return false
}

// gate returns the operations whose approval policy holds plan for op: op
// itself, and each effect the plan declares. Empty: it may run at once.
func (p ApprovalPolicy) gate(op string, plan *Plan) []string {
	var out []string
	for _, name := range append([]string{op}, plan.Effects...) {
		if p.requires(name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// Config holds what a Pipeline is built from.
type Config struct {
	Host      string // this host's name
	Parser    Parser
	Authz     Authorizer
	Approvals ApprovalStore
	Audit     AuditLog
	Policy    ApprovalPolicy
	// WritePolicy describes the host's write policy in lines, for whoami.
	WritePolicy []string
	Handlers    map[string]Handler // by operation name
	History     History            // versions of written files; nil keeps none
	Health      HealthFunc
	Observer    Observer // nil: none
	Log         *slog.Logger
	Now         func() time.Time // nil: time.Now
	// ResolveHost returns the host (or group, or "all") an operation targets
	// when another process serves it (fleet mode's hub), or an error when it
	// cannot target one. Nil: only this host, and --host must name it.
	ResolveHost func(actor Actor, op Operation) (string, error)
	// Journal records every write that changes files before it touches
	// them; nil keeps no journal (a fleet hub, which writes no files).
	Journal Journal
	// Lease is this process's lease (internal/lease): the owner of the
	// writes it journals.
	Lease string
	// Runs keeps the runs under way for every process of the host; nil:
	// /ops cancel reaches only this process's.
	Runs RunStore
	// Cancel stops a run this pipeline does not apply itself (a fleet
	// hub's, applied by an agent); nil: none.
	Cancel Canceller
	// Frozen says why writes to host (a host, a group or all, as the
	// operation targets it) are frozen by a maintenance window, naming the
	// window; "" when they are not. Only approvers may write meanwhile.
	// Nil: never frozen.
	Frozen func(ctx context.Context, host string) (why string, err error)
}

// Pipeline is the one path every request takes: parse, authorize, plan,
// approval gate, apply, audit.
type Pipeline struct {
	cfg      Config
	handlers map[string]Handler
	holdMu   sync.Mutex // bound and store one approval request at a time
	runs     runs       // the applies under way, for /ops cancel
}

// New builds a Pipeline. The core operations (whoami, approvals, approve, audit,
// hosts) are its own; everything else comes from cfg.Handlers.
func New(cfg Config) *Pipeline {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{cfg: cfg, handlers: make(map[string]Handler, len(cfg.Handlers)+5)}
	for name, h := range cfg.Handlers {
		p.handlers[name] = h
	}
	p.handlers["ops.whoami"] = ReadFunc(p.whoami)
	p.handlers["ops.approvals"] = ReadFunc(p.listApprovals)
	p.handlers["ops.audit"] = ReadFunc(p.readAudit)
	p.handlers["ops.cancel"] = ReadFunc(p.cancelRun) // it changes no file: nothing to plan
	if _, ok := p.handlers["ops.hosts"]; !ok {       // a fleet hub brings its own
		p.handlers["ops.hosts"] = ReadFunc(p.hosts)
	}
	return p
}

// Host returns the name of the host this pipeline serves.
func (p *Pipeline) Host() string { return p.cfg.Host }

// Run parses text as the grammar's command line and runs it for actor.
func (p *Pipeline) Run(ctx context.Context, actor Actor, text string) Result {
	op, err := p.cfg.Parser.Parse(text)
	if err != nil {
		status, msg := UserError(err)
		res := Result{Status: status, Operation: op.Name, Message: msg, Data: map[string]any{}, Field: FieldOf(err)}
		p.record(ctx, actor, Operation{Name: op.Name, Text: text}, res)
		p.observe(op.Name, res.Status, p.cfg.Now())
		return res
	}
	op.Text = text
	return p.Execute(ctx, actor, op)
}

// Refuse answers text for actor with status and msg without running it,
// for a refusal made before the pipeline (the local socket's --as), and
// records it in the audit like any other denial: the operation as the
// grammar reads it, its arguments masked as always.
func (p *Pipeline) Refuse(ctx context.Context, actor Actor, text string, status Status, msg string) Result {
	op, _ := p.cfg.Parser.Parse(text)
	op.Text = text
	res := Result{Status: status, Operation: op.Name, Message: msg, Data: map[string]any{}}
	p.record(ctx, actor, op, res)
	p.observe(op.Name, res.Status, p.cfg.Now())
	return res
}

// Execute runs an already parsed operation (from a button or a form) for actor.
func (p *Pipeline) Execute(ctx context.Context, actor Actor, op Operation) Result {
	start := p.cfg.Now()
	var breakglass string // judged with the decision, before the run may end the session
	if bg, ok := p.cfg.Authz.(BreakGlasser); ok {
		breakglass = bg.BreakGlass(actor, op.Name)
		if breakglass == "" && op.Name == "ops.approve" {
			// Deciding takes an approver role too, which a session may
			// give where a bound role gives the permission.
			breakglass = bg.BreakGlassRole(actor, p.cfg.Policy.ApproverRoles)
		}
	}
	res := p.execute(ctx, actor, &op)
	res.breakglass = cmp.Or(breakglass, res.breakglass) // the permission's session, else the freeze's
	res.trim()
	p.observe(op.Name, res.Status, start)
	if res.Data == nil {
		res.Data = map[string]any{}
	}
	p.record(ctx, actor, op, res)
	return res
}

// execute runs op; it sets op.Host to the host it targeted, for the audit.
func (p *Pipeline) execute(ctx context.Context, actor Actor, op *Operation) Result {
	res := Result{Operation: op.Name}
	// Authorization comes before any lookup, so that a denied user learns
	// nothing about what exists.
	if !p.cfg.Authz.Allowed(actor, op.Name) {
		res.Status = StatusDenied
		res.Message = fmt.Sprintf("%s may not run %s", actor, op.Name)
		return res
	}
	if actor.GroupsStale && KindOf(op.Name) == Write {
		// A write may not rest on group memberships nobody could confirm
		// lately: the person may have been removed from the group.
		alone := actor
		alone.Groups = nil
		if !p.cfg.Authz.Allowed(alone, op.Name) {
			res.Status = StatusDenied
			res.Message = fmt.Sprintf("%s may run %s only through a user group, and %s could not confirm the group's members lately (it is rate-limiting or unreachable); writes through group roles wait until it can. Reads still work.",
				actor, op.Name, actor.Platform)
			return res
		}
	}
	if p.cfg.ResolveHost != nil {
		host, err := p.cfg.ResolveHost(actor, *op)
		if err != nil {
			return p.fail(res, err)
		}
		op.Host = host
	} else if op.Host != "" && op.Host != p.cfg.Host {
		return p.fail(res, Invalidf("unknown host %q: this bot serves %s", op.Host, p.cfg.Host))
	} else if op.Has("on-failure") {
		return p.fail(res, InvalidField("on-failure", "--on-failure is for a write to a host group (--host GROUP) on a fleet hub; this bot serves the one host %s", p.cfg.Host))
	}
	if op.Name == "ops.approve" {
		return p.decide(ctx, actor, *op)
	}
	if KindOf(op.Name) == Write {
		if err := noMasks(*op); err != nil {
			return p.fail(res, err)
		}
	}
	h, ok := p.handlers[op.Name]
	if !ok {
		return p.fail(res, Failedf("%s is not available on %s", op.Name, p.cfg.Host))
	}
	plan, err := h.Plan(ctx, Request{Actor: actor, Op: *op})
	if err != nil {
		return p.fail(res, err)
	}
	if op.DryRun {
		res.Status = StatusOK
		res.Diffs = Diffs(plan.Changes)
		summary := secret.Pairs(plan.Summary) // the backends mask; this catches what they miss
		res.setBody(Body{Parts: []Part{Prose("Plan only, nothing applied:\n" + summary)}})
		res.Data = map[string]any{"plan": summary}
		return res
	}
	through, err := p.frozen(ctx, actor, *op)
	if err != nil {
		return p.fail(res, err)
	}
	if gate := p.cfg.Policy.gate(op.Name, plan); len(gate) > 0 || plan.NeedsApproval {
		res = p.hold(ctx, actor, *op, plan, gate)
	} else {
		res = p.apply(ctx, res, *op, plan, VersionMeta{Actor: actor, Operation: op.Name})
	}
	res.breakglass = through
	return res
}

// noMasks refuses a write whose value holds secret.Mark: a secret poolvisor
// showed masked (a program's command in a form, a `show`), retyped around
// the mark, which would be written as the value. A whole file (content)
// is the backends' to unmask: they give back the lines kept as shown.
func noMasks(op Operation) error {
	for _, a := range op.Args {
		if a.Key != "content" && strings.Contains(a.Value, secret.Mark) {
			return InvalidField(a.Key, "--%s holds %s, a secret poolvisor shows masked: its real value is not shown, so type it in full, or leave --%s out to keep it as it is", a.Key, secret.Mark, a.Key)
		}
	}
	return nil
}

// frozen refuses a backend's write by anyone but an approver while a
// maintenance window with freeze covers its host. The pipeline's own
// operations stay open, so the window can still be stopped and requests
// decided. A plan only (--plan) is no write and is not refused. When only
// a break-glass session makes actor an approver and a freeze is passed
// through it, frozen returns the session's ID, for the audit.
func (p *Pipeline) frozen(ctx context.Context, actor Actor, op Operation) (breakglass string, err error) {
	if p.cfg.Frozen == nil || KindOf(op.Name) != Write || OwnerOf(op.Name) == OwnerCore {
		return "", nil
	}
	if p.isApprover(actor) {
		bg, ok := p.cfg.Authz.(BreakGlasser)
		if !ok {
			return "", nil
		}
		id := bg.BreakGlassRole(actor, p.cfg.Policy.ApproverRoles)
		if id == "" {
			return "", nil
		}
		if why, err := p.cfg.Frozen(ctx, cmp.Or(op.Host, p.cfg.Host)); err == nil && why != "" {
			return id, nil
		}
		return "", nil
	}
	why, err := p.cfg.Frozen(ctx, cmp.Or(op.Host, p.cfg.Host))
	if err != nil {
		return "", Fail(err, "could not read the maintenance windows; writes wait until they can be read")
	}
	if why != "" {
		return "", Deniedf("%s; until it ends only %s may write", why, strings.Join(p.cfg.Policy.ApproverRoles, " or "))
	}
	return "", nil
}

// apply journals the write, carries plan out, records the versions of the
// files it wrote and shows their diffs. The caller's audit entry of the
// result finishes the journal's intent (res.write).
func (p *Pipeline) apply(ctx context.Context, res Result, op Operation, plan *Plan, meta VersionMeta) Result {
	write, err := p.begin(ctx, op, plan.Changes, meta)
	if err != nil {
		return p.fail(res, err)
	}
	res.write = write
	testhook.Pause("after-intent")
	ctx, end := p.startRun(ctx, op, meta)
	out, err := plan.Apply(ctx)
	end()
	testhook.Pause("after-apply")
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			out.Changes = e.Changes
		}
		res = p.fail(res, err)
	} else {
		res.Status = StatusOK
		res.Body = out.Content()
		res.Data = out.Data
		res.Attachment = out.Attachment
	}
	// Even a failure may carry it: a group write that applied on some hosts.
	if out.Private != "" {
		res.Private = &Private{To: meta.Actor, Text: out.Private}
	}
	p.recordVersions(context.WithoutCancel(ctx), out.Changes, meta) // what was written is recorded, even for a caller gone
	res.Diffs = Diffs(out.Changes)
	res.compose()
	return res
}

func (p *Pipeline) recordVersions(ctx context.Context, changes []FileChange, meta VersionMeta) {
	if p.cfg.History == nil {
		return
	}
	for _, c := range changes {
		if err := p.cfg.History.Record(ctx, c, meta); err != nil {
			p.cfg.Log.Error("could not record a version", "file", c.Path, "err", err)
		}
	}
}

func (p *Pipeline) observe(name string, status Status, start time.Time) {
	if p.cfg.Observer != nil {
		p.cfg.Observer.ObserveOperation(name, status, p.cfg.Now().Sub(start))
	}
}

// fail turns err into the result; internal detail goes to the log only.
func (p *Pipeline) fail(res Result, err error) Result {
	var body Body
	res.Status, body = ErrorBody(err)
	res.setBody(body)
	res.Field = FieldOf(err)
	var e *Error
	if errors.As(err, &e) && e.Data != nil {
		res.Data = e.Data
	}
	if e != nil {
		res.Attachment = e.Attachment
	}
	p.cfg.Log.Warn("operation did not succeed", "operation", res.Operation, "status", res.Status, "err", err)
	return res
}

func (p *Pipeline) record(ctx context.Context, actor Actor, op Operation, res Result) {
	e := AuditEntry{
		Actor: actor.String(), ActorName: actor.Name,
		Operation: op.Name, Target: op.Target, Args: RedactArgs(op.Args),
		Status: res.Status, Message: firstLine(res.Message), ApprovalID: res.ApprovalID,
		Write: res.write,
	}
	if op.Name == "ops.approve" { // a decision: the actor is the approver
		e.ApprovalID, e.Approver = op.Target, actor.String()
	}
	if res.breakglass != "" {
		e.Args = append(e.Args, Arg{Key: BreakGlassArg, Value: res.breakglass})
	}
	p.audit(ctx, e, op)
}

// audit records e; the outcome of a journaled write also finishes its intent.
func (p *Pipeline) audit(ctx context.Context, e AuditEntry, op Operation) {
	p.stamp(&e, op)
	var err error
	if e.Write != 0 && p.cfg.Journal != nil {
		// Even when the request was cancelled: an intent left open would
		// be reported as interrupted by the next process.
		err = p.cfg.Journal.Finish(context.WithoutCancel(ctx), e.Write, e)
	} else {
		err = p.cfg.Audit.Record(ctx, e)
	}
	if err != nil {
		p.cfg.Log.Error("audit record failed", "operation", e.Operation, "err", err)
	}
}

// stamp sets e's time and host.
func (p *Pipeline) stamp(e *AuditEntry, op Operation) {
	e.Time = p.cfg.Now().UTC()
	e.Host = p.cfg.Host
	// A refusal may quote what was typed.
	e.Message = secret.Pairs(e.Message)
	if op.Host != "" { // the host a hub sent it to
		e.Host = op.Host
	}
	if e.Operation == "" {
		e.Operation = "(unparsed)"
		e.Target = redactText(op.Text)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// redactText keeps an unparsable request readable in the audit trail
// without keeping a secret in it: as it could not be read, the word after
// any word naming a secret is masked too ("password hunter2").
func redactText(text string) string {
	words := strings.Fields(RedactText(text))
	for i := 0; i+1 < len(words); i++ {
		if !strings.Contains(words[i], "=") && secret.Name(words[i]) {
			words[i+1] = secret.Mark
		}
	}
	return firstLine(strings.Join(words, " "))
}
