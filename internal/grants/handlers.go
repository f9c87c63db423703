package grants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// RBAC is what the handlers ask of the role policy (authz.Policy).
type RBAC interface {
	HasRole(role string) bool
	IsPerson(name string) bool
	// Covers reports whether a holds every permission of role.
	Covers(a ops.Actor, role string) bool
	// Bound returns the roles a's bindings give, without grants.
	Bound(a ops.Actor) []string
	SamePerson(a, b ops.Actor) bool
	// Person is the person of rbac.people a is an identity of, or "".
	Person(a ops.Actor) string
}

// Config is what the handlers are built from.
type Config struct {
	Store *Store
	RBAC  RBAC
	// Approvers are approvals.approver_roles: a role that makes its holder
	// an approver by its name, whatever its permissions.
	Approvers []string
	// Max bounds a grant's or a break-glass session's duration (rbac.max_grant).
	Max time.Duration
	// Platforms are those whose identities WHO may name (config.Identities).
	Platforms []string
	Now       func() time.Time // nil: time.Now
	// Announce tells the notify channels of a break-glass session; nil or
	// failing, it is only logged.
	Announce func(ctx context.Context, text string) error
	Log      *slog.Logger
}

// Handlers returns the handlers of ops.grant (and revoke), ops.grants,
// ops.breakglass, ops.review and ops.extend.
func Handlers(cfg Config) map[string]ops.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h := handlers{cfg}
	return map[string]ops.Handler{
		"ops.grants":     ops.ReadFunc(h.list),
		"ops.grant":      planFunc(h.grant),
		"ops.breakglass": planFunc(h.breakglass),
		"ops.review":     planFunc(h.review),
		"ops.extend":     planFunc(h.extend),
	}
}

type handlers struct{ cfg Config }

// planFunc is an ops.Handler of one function.
type planFunc func(ctx context.Context, req ops.Request) (*ops.Plan, error)

func (f planFunc) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) { return f(ctx, req) }

func (h handlers) list(ctx context.Context, _ ops.Request) (ops.Outcome, error) {
	now := h.cfg.Now()
	list, err := h.cfg.Store.Listed(ctx, now)
	if err != nil {
		return ops.Outcome{}, ops.Fail(err, "could not read the grants")
	}
	if len(list) == 0 {
		return ops.Outcome{Message: "No grants in force and no break-glass session to review.", Data: map[string]any{"grants": list}}, nil
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tWHO\tROLE\tUNTIL\tBY\tREVIEWED\tREASON")
	for _, g := range list {
		until := g.Until.Format("2006-01-02 15:04:05 UTC")
		if !g.Active {
			until += " (ended)"
		}
		by := g.By
		if g.Approver != "" {
			by += ", approved by " + g.Approver
		}
		reviewed := "-"
		if g.Kind == KindBreakGlass {
			reviewed = "no"
			if g.Reviewed {
				reviewed = "by " + g.ReviewedBy
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Kind, g.Who, g.Role, until, by, reviewed, g.Reason)
	}
	w.Flush()
	return ops.Outcome{Message: strings.TrimRight(b.String(), "\n"), Data: map[string]any{"grants": list}}, nil
}

// span checks a DURATION against rbac.max_grant.
func (h handlers) span(op ops.Operation) (time.Duration, error) {
	v, _ := op.Get("duration")
	d, err := catalog.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, ops.InvalidField("duration", "DURATION must be a duration above zero like 30m or 2h, not %q", v)
	}
	if d > h.cfg.Max {
		return 0, ops.InvalidField("duration", "%s is longer than rbac.max_grant (%s)", d, h.cfg.Max)
	}
	return d, nil
}

// role checks ROLE: the target of /ops breakglass, an argument of /ops grant.
func (h handlers) role(op ops.Operation) (string, error) {
	role, ok := op.Get("role")
	if !ok {
		role = op.Target
	}
	if !h.cfg.RBAC.HasRole(role) {
		return "", ops.InvalidField("role", "unknown role %q: not one of rbac.roles", role)
	}
	return role, nil
}

// whoOf checks WHO: a person of rbac.people, or an identity on a platform
// poolvisor knows.
func (h handlers) whoOf(who string) error {
	forms := make([]string, len(h.cfg.Platforms))
	for i, p := range h.cfg.Platforms {
		forms[i] = p + ":ID"
	}
	if platform, id, ok := strings.Cut(who, ":"); ok {
		if slices.Contains(h.cfg.Platforms, platform) && id != "" {
			return nil
		}
		return ops.InvalidField("who", "%q: WHO is a person of rbac.people, or %s", who, strings.Join(forms, ", "))
	}
	if !h.cfg.RBAC.IsPerson(who) {
		return ops.InvalidField("who", "unknown person %q: not one of rbac.people (or give %s)", who, strings.Join(forms, ", "))
	}
	return nil
}

func (h handlers) grant(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	if action, _ := req.Op.Get("action"); action == "revoke" {
		return h.revoke(ctx, req)
	}
	op := req.Op
	if err := h.whoOf(op.Target); err != nil {
		return nil, err
	}
	role, err := h.role(op)
	if err != nil {
		return nil, err
	}
	d, err := h.span(op)
	if err != nil {
		return nil, err
	}
	if !h.cfg.RBAC.Covers(req.Actor, role) {
		return nil, ops.Deniedf("%s may not grant %s: it allows more than the roles bound to %s do", req.Actor, role, req.Actor)
	}
	// Approving comes with a role's name, not its permissions, so Covers
	// cannot judge it: an approver role (which may hold few permissions)
	// is granted only by someone an approver role is bound to.
	isApprover := func(r string) bool { return slices.Contains(h.cfg.Approvers, r) }
	if isApprover(role) && !slices.ContainsFunc(h.cfg.RBAC.Bound(req.Actor), isApprover) {
		return nil, ops.Deniedf("%s may not grant %s: it makes its holder an approver (approvals.approver_roles), and no approver role is bound to %s", req.Actor, role, req.Actor)
	}
	reason, _ := op.Get("reason")
	summary := fmt.Sprintf("Give %s the role %s for %s", op.Target, role, d)
	return &ops.Plan{
		Summary:     summary,
		Fingerprint: strings.Join([]string{op.Target, role, d.String(), reason}, "\x00"),
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			now := h.cfg.Now()
			g := Grant{Who: op.Target, Role: role, Kind: KindGrant, Until: now.Add(d), Reason: reason, Created: now, By: req.Actor.String()}
			if _, approver, ok := ops.Approved(ctx); ok {
				g.Approver = approver
			}
			id, err := h.cfg.Store.Add(ctx, g)
			if err != nil {
				return ops.Outcome{}, ops.Fail(err, "could not store the grant")
			}
			msg := fmt.Sprintf("%s now holds the role %s until %s (grant %s, by %s", g.Who, role, g.Until.UTC().Format("15:04:05 UTC"), id, g.By)
			if g.Approver != "" {
				msg += ", approved by " + g.Approver
			}
			msg += "). /ops revoke " + id + " ends it early."
			return ops.Outcome{Message: msg, Data: map[string]any{"id": id, "who": g.Who, "role": role, "until": g.Until.UTC()}}, nil
		},
	}, nil
}

func (h handlers) revoke(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	id := req.Op.Target
	g, err := h.active(ctx, id)
	if err != nil {
		return nil, err
	}
	return &ops.Plan{
		Summary:     fmt.Sprintf("End %s %s now: %s loses the role %s", g.Kind, id, g.Who, g.Role),
		Fingerprint: id,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := h.cfg.Store.Revoke(ctx, id, req.Actor.String(), h.cfg.Now()); err != nil {
				return ops.Outcome{}, refusal(err, id)
			}
			return ops.Outcome{Message: fmt.Sprintf("Revoked %s: %s no longer holds %s through it.", id, g.Who, g.Role),
				Data: map[string]any{"id": id}}, nil
		},
	}, nil
}

// active returns the grant id when it is in force.
func (h handlers) active(ctx context.Context, id string) (Grant, error) {
	g, err := h.cfg.Store.Get(ctx, id, h.cfg.Now())
	if err != nil {
		return Grant{}, refusal(err, id)
	}
	if !g.Active {
		return Grant{}, refusal(ErrEnded, id)
	}
	return g, nil
}

func refusal(err error, id string) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return ops.Invalidf("no grant %s (see /ops grants)", id)
	case errors.Is(err, ErrEnded):
		return ops.Conflictf("grant %s has ended already", id)
	case errors.Is(err, ErrReviewed):
		return ops.Conflictf("break-glass session %s was reviewed already", id)
	}
	return ops.Fail(err, "could not update grant %s", id)
}

func (h handlers) breakglass(_ context.Context, req ops.Request) (*ops.Plan, error) {
	role, err := h.role(req.Op)
	if err != nil {
		return nil, err
	}
	d, err := h.span(req.Op)
	if err != nil {
		return nil, err
	}
	reason, _ := req.Op.Get("reason")
	if strings.TrimSpace(reason) == "" {
		return nil, ops.InvalidField("reason", "a break-glass session needs a REASON: it is announced and reviewed")
	}
	who := req.Actor.String()
	return &ops.Plan{
		Summary:     fmt.Sprintf("Break glass: %s takes the role %s for %s", who, role, d),
		Fingerprint: strings.Join([]string{who, role, d.String(), reason}, "\x00"),
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			now := h.cfg.Now()
			g := Grant{Who: who, Role: role, Kind: KindBreakGlass, Until: now.Add(d), Reason: reason, Created: now, By: who}
			id, err := h.cfg.Store.Add(ctx, g)
			if err != nil {
				return ops.Outcome{}, ops.Fail(err, "could not store the break-glass session")
			}
			text := fmt.Sprintf("Break-glass %s: %s took the role %s until %s without approval. Reason: %s. Everything done under it is tagged breakglass=%s in the audit; an approver other than them acknowledges it with /ops review %s.",
				id, who, role, g.Until.UTC().Format("15:04:05 UTC"), reason, id, id)
			if h.cfg.Announce != nil {
				if err := h.cfg.Announce(context.WithoutCancel(ctx), text); err != nil {
					h.cfg.Log.Error("could not announce a break-glass session", "id", id, "err", err)
				}
			}
			h.cfg.Log.Warn("break-glass session", "id", id, "who", who, "role", role, "until", g.Until, "reason", reason)
			return ops.Outcome{Message: text, Data: map[string]any{"id": id, "who": who, "role": role, "until": g.Until.UTC()}}, nil
		},
	}, nil
}

func (h handlers) review(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	id := req.Op.Target
	g, err := h.cfg.Store.Get(ctx, id, h.cfg.Now())
	if err != nil {
		return nil, refusal(err, id)
	}
	if g.Kind != KindBreakGlass {
		return nil, ops.Invalidf("%s is a grant, not a break-glass session: grants are approved before, not reviewed after", id)
	}
	if g.Reviewed {
		return nil, refusal(ErrReviewed, id)
	}
	if holder := actorOf(g.Who); h.cfg.RBAC.SamePerson(holder, req.Actor) || g.By == req.Actor.String() {
		return nil, ops.Deniedf("%s may not review their own break-glass session %s: another approver does", req.Actor, id)
	}
	return &ops.Plan{
		Summary:     fmt.Sprintf("Acknowledge break-glass session %s of %s (%s)", id, g.Who, g.Role),
		Fingerprint: id,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := h.cfg.Store.Review(ctx, id, req.Actor.String()); err != nil {
				return ops.Outcome{}, refusal(err, id)
			}
			return ops.Outcome{Message: fmt.Sprintf("Reviewed break-glass session %s of %s (%s, reason: %s).", id, g.Who, g.Role, g.Reason),
				Data: map[string]any{"id": id}}, nil
		},
	}, nil
}

// actorOf is the identity who names ("slack:U012AB"); a person's name
// gives an actor that is nobody's identity.
func actorOf(who string) ops.Actor {
	platform, id, _ := strings.Cut(who, ":")
	return ops.Actor{Platform: platform, ID: id}
}
