package authz

import (
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Temporary is a role someone holds until a deadline (internal/grants):
// Who is a person of rbac.people or an identity like slack:U012AB.
type Temporary struct {
	ID, Who, Role string
	BreakGlass    bool
}

// ActiveFunc returns the temporary roles in force at now.
type ActiveFunc func(now time.Time) ([]Temporary, error)

// WithGrants returns a copy of p that also gives the temporary roles
// active returns, asked again at every decision with the time of now: a
// grant past its deadline or revoked gives nothing from the next request
// on, with no sweeper to wait for. When active fails, the decision is made
// without temporary roles (a failure denies, never allows).
func (p *Policy) WithGrants(active ActiveFunc, now func() time.Time, log *slog.Logger) *Policy {
	q := *p
	q.active, q.now, q.log = active, now, log
	return &q
}

// temporary returns the temporary roles a holds now.
func (p *Policy) temporary(a ops.Actor) []Temporary {
	if p.active == nil {
		return nil
	}
	list, err := p.active(p.now())
	if err != nil {
		p.log.Error("could not read grants; deciding without them", "err", err)
		return nil
	}
	person := p.Person(a)
	var out []Temporary
	for _, t := range list {
		if t.Who == a.String() || (person != "" && t.Who == person) {
			out = append(out, t)
		}
	}
	return out
}

// ExtendOp is the operation by which the holder of a grant asks for more
// time on it (/ops extend): holding a grant allows asking, whatever the
// role granted, since the request waits for an approver anyway. A
// break-glass session gives no such right: its holder breaks the glass
// again, announced again.
const ExtendOp = "ops.extend"

// temporaryAllows reports whether the temporary roles a holds now allow op.
func (p *Policy) temporaryAllows(a ops.Actor, op string) bool {
	var roles []string
	for _, t := range p.temporary(a) {
		if op == ExtendOp && !t.BreakGlass {
			return true
		}
		roles = append(roles, t.Role)
	}
	return p.allows(roles, op)
}

// BreakGlass implements ops.BreakGlasser: the ID of the break-glass session
// that alone lets a run op, or "" when a role bound to a, or a plain grant,
// allows it (or nothing does).
func (p *Policy) BreakGlass(a ops.Actor, op string) string {
	if p.allows(p.bound(a), op) {
		return ""
	}
	temp := p.temporary(a)
	for _, t := range temp {
		if !t.BreakGlass && p.allows([]string{t.Role}, op) {
			return ""
		}
	}
	for _, t := range temp {
		if t.BreakGlass && p.allows([]string{t.Role}, op) {
			return t.ID
		}
	}
	return ""
}

// BreakGlassRole implements ops.BreakGlasser: the ID of the break-glass
// session that alone gives a one of roles, or "" when a binding or a plain
// grant does (or nothing does).
func (p *Policy) BreakGlassRole(a ops.Actor, roles []string) string {
	if slices.ContainsFunc(p.bound(a), func(r string) bool { return slices.Contains(roles, r) }) {
		return ""
	}
	temp := p.temporary(a)
	for _, t := range temp {
		if !t.BreakGlass && slices.Contains(roles, t.Role) {
			return ""
		}
	}
	for _, t := range temp {
		if t.BreakGlass && slices.Contains(roles, t.Role) {
			return t.ID
		}
	}
	return ""
}

// HasRole reports whether role is a role of rbac.roles.
func (p *Policy) HasRole(role string) bool {
	_, ok := p.perms[role]
	return ok
}

// IsPerson reports whether name is a person of rbac.people.
func (p *Policy) IsPerson(name string) bool {
	for _, n := range p.people {
		if n == name {
			return true
		}
	}
	return false
}

// Bound returns the roles bindings give a, sorted, without its grants.
func (p *Policy) Bound(a ops.Actor) []string { return p.bound(a) }

// Covers reports whether the roles bound to a give every permission of
// role: nobody hands out more than they hold. Only bindings count, not
// a's own grants, so a grant cannot be stretched past its deadline by
// passing it on.
func (p *Policy) Covers(a ops.Actor, role string) bool {
	var held []string
	for _, r := range p.bound(a) {
		held = append(held, p.perms[r]...)
	}
	for _, want := range p.perms[role] {
		if !slices.ContainsFunc(held, func(h string) bool { return covers(h, want) }) {
			return false
		}
	}
	return true
}

// covers reports whether pattern held grants everything pattern want does.
func covers(held, want string) bool {
	if held == "*" || held == want {
		return true
	}
	if want == "*" {
		return false
	}
	prefix, ok := strings.CutSuffix(held, "*")
	return ok && strings.HasSuffix(prefix, ".") && strings.HasPrefix(want, prefix)
}
