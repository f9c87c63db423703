package ops

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/poolvisor/poolvisor/internal/secret"
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

// defaultAuditLines is how many entries /ops audit shows without N.
const defaultAuditLines = 20

// maxAuditLines bounds /ops audit N so one request cannot dump the whole trail.
const maxAuditLines = 500

func (p *Pipeline) readAudit(ctx context.Context, req Request) (Outcome, error) {
	n := defaultAuditLines
	if req.Op.Target != "" {
		v, err := strconv.Atoi(req.Op.Target)
		if err != nil || v < 1 || v > maxAuditLines {
			return Outcome{}, Invalidf("N must be a number from 1 to %d", maxAuditLines)
		}
		n = v
	}
	entries, err := p.cfg.Audit.Recent(ctx, n)
	if err != nil {
		return Outcome{}, Fail(err, "could not read the audit trail")
	}
	if entries == nil {
		entries = []AuditEntry{}
	}
	// Entries are masked when recorded; masking again on reading also
	// covers those recorded before a secret's rule reached them.
	for i, e := range entries {
		entries[i].Args, entries[i].Message = RedactArgs(e.Args), secret.Pairs(e.Message)
		entries[i].Files = pathsOnly(entries[i].Files)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Last %d audit entries (oldest first):\n", len(entries))
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	var notes []string
	for _, e := range entries {
		status := string(e.Status)
		if e.Found != "" { // interrupted: what the next process found on disk
			status += " (" + e.Found + ")"
		}
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", e.Time.UTC().Format("2006-01-02 15:04:05"), status, e.Actor, e.Operation)
		if e.Target != "" {
			line += " " + e.Target
		}
		if e.Host != "" && e.Host != p.cfg.Host { // sent to another host by a fleet hub
			line += " on " + e.Host
		}
		if e.ApprovalID != "" {
			line += "  [approval " + e.ApprovalID
			if e.Approver != "" && e.Approver != e.Actor {
				line += ", approved by " + e.Approver
			}
			line += "]"
		}
		if run, step := argOf(e.Args, "run"), argOf(e.Args, "step"); run != "" && step != "" { // a step of a run (Run.Audit)
			line += fmt.Sprintf("  [run %s, %s: %s]", run, step, argOf(e.Args, "on"))
		}
		if e.Write != 0 && (e.Status == AuditStarted || e.Status == AuditInterrupted) {
			line += fmt.Sprintf("  [write %d]", e.Write)
			if e.Status == AuditInterrupted {
				notes = append(notes, fmt.Sprintf("  write %d: %s", e.Write, e.Message))
			}
		}
		fmt.Fprintln(w, line)
	}
	w.Flush()
	if len(notes) > 0 {
		fmt.Fprintf(&b, "Interrupted writes (their poolvisor process ended in the middle of them):\n%s\n", strings.Join(notes, "\n"))
	}
	return Outcome{Message: strings.TrimRight(b.String(), "\n"), Data: map[string]any{"entries": entries}}, nil
}

func argOf(args []Arg, key string) string {
	for _, a := range args {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// pathsOnly leaves out the digests of files: a digest of a whole file lets
// whoever can read the audit test guesses of a weak secret in it. They stay
// in the stored trail and its JSON-lines mirror, which only root reads.
func pathsOnly(files []FileDigest) []FileDigest {
	if files == nil {
		return nil
	}
	out := make([]FileDigest, len(files))
	for i, f := range files {
		out[i] = FileDigest{Path: f.Path}
	}
	return out
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
