package ops

import (
	"context"
	"errors"
	"time"
)

// Request is an operation together with the actor who asked for it.
type Request struct {
	Actor Actor
	Op    Operation
}

// Plan is what applying an operation would do, computed without side effects.
type Plan struct {
	// Summary says in a line or a few what applying would change.
	Summary string
	// Fingerprint is a digest of the state the plan was made against. When an
	// approved request is finally applied, it is planned again; a different
	// fingerprint means something changed underneath and the request answers
	// conflict instead of acting on a world the approver never saw.
	Fingerprint string
	// Changes are the config files applying would write, with their bytes
	// before and after, so that answers and approval requests show the diff.
	Changes []FileChange
	// Apply carries the plan out.
	Apply func(ctx context.Context) (Outcome, error)
	// NeedsApproval holds the plan for a second person whatever the approval
	// policy says (a write to a whole group of hosts).
	NeedsApproval bool
	// Effects names the operations that applying amounts to besides the
	// requested one: a rollback to a deleted version deletes, an edit of a
	// running program restarts it. The approval policy of each applies as
	// if it had been requested, so no path reaches a gated effect ungated.
	Effects []string
}

// Handler validates and plans one kind of operation.
type Handler interface {
	Plan(ctx context.Context, req Request) (*Plan, error)
}

// ReadFunc is a Handler for operations that only read: its plan applies at once.
type ReadFunc func(ctx context.Context, req Request) (Outcome, error)

// Plan implements Handler.
func (f ReadFunc) Plan(_ context.Context, req Request) (*Plan, error) {
	return &Plan{Apply: func(ctx context.Context) (Outcome, error) { return f(ctx, req) }}, nil
}

// Unavailable returns a Handler that answers failed with msg, for operations
// of a backend that is disabled on this host.
func Unavailable(msg string) Handler {
	return ReadFunc(func(context.Context, Request) (Outcome, error) {
		return Outcome{}, Failedf("%s", msg)
	})
}

// Parser turns the text grammar into an Operation.
type Parser interface {
	Parse(text string) (Operation, error)
}

// Authorizer decides permissions.
type Authorizer interface {
	Allowed(a Actor, operation string) bool
	Roles(a Actor) []string
	// Person names the person an identity belongs to ("" when unknown), and
	// SamePerson tells whether two identities are one person's: self-approval
	// is judged per person, not per platform identity.
	Person(a Actor) string
	SamePerson(a, b Actor) bool
}

// BreakGlasser is an Authorizer that tells when a decision rests on a
// break-glass session: BreakGlass returns the session's ID when only it
// lets a run operation, else "". Every request so allowed is tagged
// breakglass=ID in the audit trail.
type BreakGlasser interface {
	BreakGlass(a Actor, operation string) string
	// BreakGlassRole returns the session's ID when only it gives a one of
	// roles (the approver roles, which decide by name), else "".
	BreakGlassRole(a Actor, roles []string) string
}

// BreakGlassArg is the audit argument that names the break-glass session a
// request was allowed by.
const BreakGlassArg = "breakglass"

// ApprovalState is where an approval request stands.
type ApprovalState string

// Approval states.
const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalDenied   ApprovalState = "denied"
	ApprovalExpired  ApprovalState = "expired"
)

// Approval is a write held for a second person's decision.
type Approval struct {
	ID          string        `json:"id"`
	Op          Operation     `json:"operation"`
	Requester   Actor         `json:"requester"`
	Summary     string        `json:"summary"`
	Fingerprint string        `json:"-"`
	Created     time.Time     `json:"created"`
	Expires     time.Time     `json:"expires"`
	State       ApprovalState `json:"state"`
	Decider     *Actor        `json:"decider,omitempty"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
	Reason      string        `json:"reason,omitempty"`
	Outcome     Status        `json:"outcome,omitempty"` // of the apply, once approved
}

// Errors of an ApprovalStore.
var (
	ErrNotFound = errors.New("approval not found")
	ErrExpired  = errors.New("approval expired")
	ErrDecided  = errors.New("approval already decided")
)

// ApprovalStore keeps approval requests where every poolvisor process on the
// host (serve, exec, console) sees them.
type ApprovalStore interface {
	Create(ctx context.Context, a Approval) error
	Get(ctx context.Context, id string) (Approval, error)
	// Decide moves a pending, unexpired approval to state in one atomic step:
	// of several concurrent calls exactly one succeeds. The others get
	// ErrDecided or ErrExpired, with the approval as it now stands.
	Decide(ctx context.Context, id string, state ApprovalState, by Actor, reason string, now time.Time) (Approval, error)
	// Finish records the outcome of applying an approved request.
	Finish(ctx context.Context, id string, outcome Status) error
	Pending(ctx context.Context, now time.Time) ([]Approval, error)
}

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	ID         int64     `json:"id,omitempty"`
	Time       time.Time `json:"time"`
	Host       string    `json:"host"`
	Actor      string    `json:"actor"`
	ActorName  string    `json:"actor_name,omitempty"`
	Operation  string    `json:"operation"`
	Target     string    `json:"target,omitempty"`
	Args       []Arg     `json:"args,omitempty"`
	Status     Status    `json:"status"`
	Message    string    `json:"message,omitempty"`
	ApprovalID string    `json:"approval_id,omitempty"`
	Approver   string    `json:"approver,omitempty"`
	// Write links the entries of one write that changes files: started,
	// then its outcome or interrupted (see Journal).
	Write int64        `json:"write,omitempty"`
	Files []FileDigest `json:"files,omitempty"` // started and interrupted entries
	Found string       `json:"found,omitempty"` // interrupted entries: FoundApplied, ...
}

// AuditLog records every request and decision.
type AuditLog interface {
	Record(ctx context.Context, e AuditEntry) error
	Recent(ctx context.Context, n int) ([]AuditEntry, error)
}

// AuditSince is an AuditLog that also answers by time: the last limit
// entries recorded at or after t, oldest first. /ops audit --since asks
// it when the trail has it, else reads Recent and filters.
type AuditSince interface {
	Since(ctx context.Context, t time.Time, limit int) ([]AuditEntry, error)
}

// Component is one part of the host's health, as /ops hosts and /healthz show it.
type Component struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	Info string `json:"info,omitempty"`
}

// HealthFunc reports the health of the parts this host runs.
type HealthFunc func(ctx context.Context) []Component

// Observer is told how every request ended and how long it took (metrics).
type Observer interface {
	ObserveOperation(name string, status Status, d time.Duration)
}
