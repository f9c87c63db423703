package config

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

var (
	roleNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })
)

// validateRBAC checks that every permission names an operation, a wildcard
// that matches one, or another role; that role inclusion has no cycle; and
// that bindings name existing roles and immutable IDs only.
func (c *Config) validateRBAC(p *problems) {
	roles := c.RBAC.Roles
	names := slices.Sorted(maps.Keys(roles)) // stable error order

	includes := map[string][]string{}
	for _, name := range names {
		key := "rbac.roles." + name
		if !roleNameRE().MatchString(name) {
			p.add(key, "role names use letters, digits, _ and - only")
		}
		for i, perm := range roles[name] {
			switch {
			case perm == "*":
			case strings.HasSuffix(perm, ".*"):
				if !wildcardMatches(strings.TrimSuffix(perm, ".*")) {
					p.add(indexKey(key, i), "wildcard %q matches no operation", perm)
				}
			case strings.Contains(perm, "."):
				if !ops.Known(perm) {
					p.add(indexKey(key, i), "unknown operation %q", perm)
				}
			default:
				if _, ok := roles[perm]; !ok {
					p.add(indexKey(key, i), "%q is neither an operation nor a role of rbac.roles", perm)
					continue
				}
				includes[name] = append(includes[name], perm)
			}
		}
	}
	for _, cycle := range findCycles(names, includes) {
		p.add("rbac.roles."+cycle[0], "roles include each other in a cycle: %s", strings.Join(cycle, " -> "))
	}

	for i, b := range c.RBAC.Bindings {
		c.validateBinding(p, indexKey("rbac.bindings", i), b)
	}
	c.validatePeople(p)
	if c.RBAC.MaxGrant <= 0 {
		p.add("rbac.max_grant", "must be more than zero, like 24h: the longest /ops grant or /ops breakglass")
	}
	if c.RBAC.GrantReminder <= 0 {
		p.add("rbac.grant_reminder", "must be more than zero, like 5m: how long before a grant ends its holder is reminded")
	}
}

// validatePeople checks rbac.people: immutable IDs only, and no identity
// given to two people, which would let one approve what the other asked.
func (c *Config) validatePeople(p *problems) {
	owner := map[string]string{} // "platform:id" -> person
	for _, name := range slices.Sorted(maps.Keys(c.RBAC.People)) {
		key := "rbac.people." + name
		who := c.RBAC.People[name]
		if !roleNameRE().MatchString(name) {
			p.add(key, "person names use letters, digits, _ and - only")
		}
		if len(who) == 0 {
			p.add(key, "lists no identity; give %s IDs", platformNames())
		}
		for _, platform := range slices.Sorted(maps.Keys(who)) {
			id, ok := identity(platform)
			if !ok {
				p.add(key+"."+platform, "unknown platform; people list %s IDs", platformNames())
				continue
			}
			checkIDs(p, key+"."+platform, who[platform], id.User, id.UserHint)
			for _, v := range who[platform] {
				if other, taken := owner[platform+":"+v]; taken && other != name {
					p.add(key+"."+platform, "%s is also listed for %s: one identity belongs to one person", v, other)
				}
				owner[platform+":"+v] = name
			}
		}
	}
}

// identity returns the Identity of platform.
func identity(platform string) (Identity, bool) {
	i := slices.IndexFunc(Identities, func(id Identity) bool { return id.Platform == platform })
	if i < 0 {
		return Identity{}, false
	}
	return Identities[i], true
}

// platformNames lists the platforms of Identities, for errors.
func platformNames() string {
	var out []string
	for _, id := range Identities {
		out = append(out, id.Platform)
	}
	return strings.Join(out, ", ")
}

// bindingKeys lists the keys a binding may hold besides role.
func bindingKeys() []string {
	var out []string
	for _, id := range Identities {
		out = append(out, id.UsersKey)
		if id.GroupsKey != "" {
			out = append(out, id.GroupsKey)
		}
	}
	return out
}

// wildcardMatches reports whether prefix.* matches at least one operation.
func wildcardMatches(prefix string) bool {
	for _, name := range ops.Names() {
		if strings.HasPrefix(name, prefix+".") {
			return true
		}
	}
	return false
}

// findCycles returns each cycle of role inclusion once, as the path of role
// names that closes it, like [a b a].
func findCycles(names []string, includes map[string][]string) [][]string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var cycles [][]string
	var stack []string
	var visit func(string)
	visit = func(name string) {
		state[name] = active
		stack = append(stack, name)
		for _, inc := range includes[name] {
			switch state[inc] {
			case unseen:
				visit(inc)
			case active:
				start := slices.Index(stack, inc)
				cycles = append(cycles, append(slices.Clone(stack[start:]), inc))
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, name := range names {
		if state[name] == unseen {
			visit(name)
		}
	}
	return cycles
}

func (c *Config) validateBinding(p *problems, key string, b Binding) {
	if _, ok := c.RBAC.Roles[b.Role]; b.Role == "" {
		p.add(key+".role", "is required")
	} else if !ok {
		p.add(key+".role", "unknown role %q; define it under rbac.roles", b.Role)
	}
	n := 0
	for _, k := range slices.Sorted(maps.Keys(b.Members)) {
		n += len(b.Members[k])
		if !slices.Contains(bindingKeys(), k) {
			p.add(key+"."+k, "unknown key; a binding lists %s", strings.Join(bindingKeys(), ", "))
		}
	}
	if n == 0 {
		p.add(key, "binds nobody; list %s", strings.Join(bindingKeys(), ", "))
	}
	for _, id := range Identities {
		checkIDs(p, key+"."+id.UsersKey, b.Members[id.UsersKey], id.User, id.UserHint)
		if id.GroupsKey != "" {
			checkIDs(p, key+"."+id.GroupsKey, b.Members[id.GroupsKey], id.Group, id.GroupHint)
		}
	}
}

// checkIDs refuses anything that is not an immutable ID: display names can
// be changed by their owner, so granting by name would grant to anyone who
// takes the name.
func checkIDs(p *problems, key string, ids []string, ok func(string) bool, want string) {
	for i, id := range ids {
		if !ok(id) {
			p.add(indexKey(key, i), "%q is not %s; bindings need immutable IDs, not display names", id, want)
		}
	}
}

func isSnowflake(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func snowflake(p *problems, key, s string) {
	if !isSnowflake(s) {
		p.add(key, "%q is not a Discord ID (a number like 80351110224678912)", s)
	}
}

func (c *Config) validateApprovals(p *problems) {
	a := c.Approvals
	for i, name := range a.Required {
		if !ops.Known(name) {
			p.add(indexKey("approvals.required", i), "unknown operation %q", name)
		}
	}
	for i, role := range a.ApproverRoles {
		if _, ok := c.RBAC.Roles[role]; !ok {
			p.add(indexKey("approvals.approver_roles", i), "unknown role %q; define it under rbac.roles", role)
		}
	}
	if a.TTL <= 0 {
		p.add("approvals.ttl", "must be more than zero, like 15m")
	}
	if a.MaxPendingPerPerson < 1 {
		p.add("approvals.max_pending_per_person", "is %d; allow each person at least 1 pending request", a.MaxPendingPerPerson)
	}
	if a.Retention < 24*time.Hour {
		p.add("approvals.retention", "is %s; keep decided requests at least a day (24h), like 720h", a.Retention)
	}
}
