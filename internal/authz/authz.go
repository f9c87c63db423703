// Package authz decides who may run which operation: roles are sets of
// permissions (operation names, `*` and `prefix.*` wildcards, or other role
// names, which include that role), and bindings give roles to immutable
// platform IDs. Anything not granted is denied.
package authz

import (
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Binding gives Role to identities by immutable ID: Users and Groups map
// a platform (an actor's Platform: slack, discord, local, ...) to the IDs
// of its users and of its groups (Slack user groups, Discord roles), which
// an actor's Groups are matched against.
type Binding struct {
	Role   string
	Users  map[string][]string
	Groups map[string][]string
}

// Person lists one person's immutable IDs, by platform.
type Person map[string][]string

// Policy is a compiled RBAC configuration. It is immutable and safe for
// concurrent use.
type Policy struct {
	perms    map[string][]string // role -> expanded permission patterns
	bindings []Binding
	people   map[string]string // "platform:id" -> person

	active ActiveFunc // temporary roles (WithGrants); nil: none
	now    func() time.Time
	log    *slog.Logger
}

var _ ops.Authorizer = (*Policy)(nil)

// New compiles roles (with role inclusion expanded) and bindings. Config
// validation has already refused unknown roles and inclusion cycles; a cycle
// that reaches here is cut, never followed forever.
func New(roles map[string][]string, bindings []Binding) *Policy {
	p := &Policy{perms: make(map[string][]string, len(roles)), bindings: bindings}
	for name := range roles {
		seen := map[string]bool{}
		p.perms[name] = expand(name, roles, seen)
	}
	return p
}

// WithPeople returns a copy of p that knows which identities belong to
// one person (rbac.people). Config validation has already refused an
// identity listed for two people.
func (p *Policy) WithPeople(people map[string]Person) *Policy {
	q := *p
	q.people = map[string]string{}
	for name, who := range people {
		for platform, ids := range who {
			for _, id := range ids {
				q.people[platform+":"+id] = name
			}
		}
	}
	return &q
}

// Person returns the name of the person actor is one identity of, or ""
// when rbac.people does not list it.
func (p *Policy) Person(a ops.Actor) string { return p.people[a.String()] }

// SamePerson reports whether a and b are one identity, or identities of
// one person.
func (p *Policy) SamePerson(a, b ops.Actor) bool {
	if a.Same(b) {
		return true
	}
	pa := p.Person(a)
	return pa != "" && pa == p.Person(b)
}

func expand(role string, roles map[string][]string, seen map[string]bool) []string {
	if seen[role] {
		return nil
	}
	seen[role] = true
	var out []string
	for _, entry := range roles[role] {
		if _, isRole := roles[entry]; isRole {
			out = append(out, expand(entry, roles, seen)...)
			continue
		}
		out = append(out, entry)
	}
	return out
}

// Roles returns the roles actor holds, sorted: those bound to it and those
// its active grants give.
func (p *Policy) Roles(a ops.Actor) []string {
	roles := p.bound(a)
	for _, t := range p.temporary(a) {
		if !slices.Contains(roles, t.Role) {
			roles = append(roles, t.Role)
		}
	}
	sort.Strings(roles)
	return roles
}

// bound returns the roles bindings give actor, sorted.
func (p *Policy) bound(a ops.Actor) []string {
	var roles []string
	for _, b := range p.bindings {
		if isBound(b, a) && !slices.Contains(roles, b.Role) {
			roles = append(roles, b.Role)
		}
	}
	sort.Strings(roles)
	return roles
}

func isBound(b Binding, a ops.Actor) bool {
	return slices.Contains(b.Users[a.Platform], a.ID) || intersects(b.Groups[a.Platform], a.Groups)
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Allowed reports whether actor holds the permission for operation op.
// Grants are read only when the bound roles do not allow it.
func (p *Policy) Allowed(a ops.Actor, op string) bool {
	if p.allows(p.bound(a), op) {
		return true
	}
	return p.temporaryAllows(a, op)
}

func (p *Policy) allows(roles []string, op string) bool {
	for _, role := range roles {
		for _, pattern := range p.perms[role] {
			if Match(pattern, op) {
				return true
			}
		}
	}
	return false
}

// Match reports whether a permission pattern grants operation op.
func Match(pattern, op string) bool {
	if pattern == "*" || pattern == op {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasSuffix(prefix, ".") {
		return strings.HasPrefix(op, prefix)
	}
	return false
}
