package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

func (p *Pipeline) whoami(_ context.Context, req Request) (Outcome, error) {
	roles := p.cfg.Authz.Roles(req.Actor)
	if roles == nil {
		roles = []string{}
	}
	msg := fmt.Sprintf("You are %s", req.Actor)
	if req.Actor.Name != "" && req.Actor.Name != req.Actor.ID {
		msg += " (" + req.Actor.Name + ")"
	}
	person := p.cfg.Authz.Person(req.Actor)
	if person != "" {
		msg += ", one identity of " + person + " (rbac.people),"
	}
	if len(roles) == 0 {
		msg += " with no roles."
	} else {
		msg += " with roles: " + strings.Join(roles, ", ") + "."
	}
	required := slices.Clone(p.cfg.Policy.Required)
	if len(required) > 0 {
		msg += "\nApproval by " + strings.Join(p.cfg.Policy.ApproverRoles, " or ") + " is required for: " + strings.Join(required, ", ") +
			" (and for anything that amounts to one of them, such as a rollback that deletes)."
	}
	if len(p.cfg.WritePolicy) > 0 {
		msg += "\nWrite policy on " + p.cfg.Host + ":\n  " + strings.Join(p.cfg.WritePolicy, "\n  ")
	}
	return Outcome{Message: msg, Data: map[string]any{"actor": req.Actor, "roles": roles, "person": person,
		"approvals_required": required, "write_policy": p.cfg.WritePolicy}}, nil
}

// HostInfo is one host as /ops hosts shows it.
type HostInfo struct {
	Name       string      `json:"name"`
	Healthy    bool        `json:"healthy"`
	Components []Component `json:"components"`
	// The fields below are a fleet hub's: what each agent last announced.
	Version    string    `json:"version,omitempty"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	OpenAlerts int       `json:"open_alerts,omitempty"`
	// Unreachable says why the host did not answer; empty when it did.
	Unreachable string `json:"unreachable,omitempty"`
}

func (p *Pipeline) hosts(ctx context.Context, _ Request) (Outcome, error) {
	h := HostInfo{Name: p.cfg.Host, Healthy: true, Components: []Component{}}
	if p.cfg.Health != nil {
		h.Components = p.cfg.Health(ctx)
	}
	var parts []string
	for _, c := range h.Components {
		mark := "ok"
		if !c.OK {
			mark = "DOWN"
			h.Healthy = false
		}
		part := c.Name + " " + mark
		if c.Info != "" {
			part += " (" + c.Info + ")"
		}
		parts = append(parts, part)
	}
	state := "healthy"
	if !h.Healthy {
		state = "unhealthy"
	}
	msg := fmt.Sprintf("%s: %s", h.Name, state)
	if len(parts) > 0 {
		msg += " — " + strings.Join(parts, "; ")
	}
	return Outcome{Message: msg, Data: map[string]any{"hosts": []HostInfo{h}}}, nil
}
