package grants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// extend plans /ops extend ID [DURATION]: the holder of grant ID asks for
// a new grant of the same role, for DURATION (default: as long as ID was
// given for, at most rbac.max_grant), running on from ID's deadline. It
// always waits for an approver, who re-plans it at decision time: ID must
// still be in force then, as the pipeline also requires the requester to
// still hold a grant (the permission to ask). An extension past the end
// is a new /ops grant, from someone who may grant.
func (h handlers) extend(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	id := req.Op.Target
	g, err := h.active(ctx, id)
	if err != nil {
		return nil, err
	}
	if g.Kind != KindGrant {
		return nil, ops.Invalidf("%s is a break-glass session: it is not extended through approval; break the glass again if you must", id)
	}
	if !h.holds(req.Actor, g.Who) {
		return nil, ops.Deniedf("%s does not hold grant %s (%s does): only its holder asks for more time", req.Actor, id, g.Who)
	}
	d := g.Until.Sub(g.Created).Round(time.Second)
	if v, ok := req.Op.Get("duration"); ok && v != "" {
		if d, err = catalog.ParseDuration(v); err != nil || d <= 0 {
			return nil, ops.InvalidField("duration", "DURATION must be a duration above zero like 30m or 2h, not %q", v)
		}
	}
	if d > h.cfg.Max {
		if _, asked := req.Op.Get("duration"); asked {
			return nil, ops.InvalidField("duration", "%s is longer than rbac.max_grant (%s)", d, h.cfg.Max)
		}
		d = h.cfg.Max
	}
	reason := "extension of " + id
	if g.Reason != "" {
		reason += ": " + g.Reason
	}
	return &ops.Plan{
		Summary:       fmt.Sprintf("Extend grant %s: %s keeps the role %s for %s more (until %s now)", id, g.Who, g.Role, d, stamp(g.Until.Add(d))),
		Fingerprint:   strings.Join([]string{id, d.String()}, "\x00"),
		NeedsApproval: true,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			now := h.cfg.Now()
			n := Grant{Who: g.Who, Role: g.Role, Kind: KindGrant, Until: later(now, g.Until).Add(d), Reason: reason, Created: now, By: req.Actor.String()}
			if _, approver, ok := ops.Approved(ctx); ok {
				n.Approver = approver
			}
			nid, err := h.cfg.Store.Add(ctx, n)
			if err != nil {
				return ops.Outcome{}, ops.Fail(err, "could not store the grant")
			}
			msg := fmt.Sprintf("%s now holds the role %s until %s (grant %s, extending %s, approved by %s). /ops revoke %s ends it early.",
				n.Who, n.Role, stamp(n.Until), nid, id, n.Approver, nid)
			return ops.Outcome{Message: msg, Data: map[string]any{"id": nid, "who": n.Who, "role": n.Role, "until": n.Until.UTC(), "extends": id}}, nil
		},
	}, nil
}

// holds reports whether a is who, the holder of a grant: that identity, or
// an identity of that person.
func (h handlers) holds(a ops.Actor, who string) bool {
	return a.String() == who || (h.cfg.RBAC.Person(a) != "" && h.cfg.RBAC.Person(a) == who)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func stamp(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }
