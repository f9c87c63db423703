package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// All is the --host value for every host.
const All = "all"

// ResolveHost chooses what an operation targets: --host when given, else
// the default of the chat channel it came from, else default_host. Writes
// go to one host, or to a group only when --host names it (and then wait
// for approval, see Plan); `all` is for reads. The hub's own operations
// (the catalog's OwnerCore) target no host.
func (h *Hub) ResolveHost(actor ops.Actor, op ops.Operation) (string, error) {
	if ops.OwnerOf(op.Name) == ops.OwnerCore {
		return "", nil
	}
	target, explicit := op.Host, op.Host != ""
	if !explicit {
		target = h.DefaultFor(actor.Channel)
	}
	write := ops.KindOf(op.Name) == ops.Write
	switch _, group := h.cfg.Groups[target]; {
	case target == All && write:
		return "", ops.Invalidf("--host all is for reads; a write names one host, or a group with --host GROUP (and then waits for approval)")
	case group && write && !explicit:
		return "", ops.Invalidf("this channel's default is the host group %s: name the host with --host (%s), or write to every host of the group with --host %s, which needs approval",
			target, strings.Join(h.cfg.Groups[target], ", "), target)
	case target == All || group:
		return target, nil
	}
	if !slices.Contains(h.Hosts(context.Background()), target) {
		return "", ops.Invalidf("unknown host %q: the hosts are %s, the groups %s (see /ops hosts)",
			target, strings.Join(h.Hosts(context.Background()), ", "), h.groupNames())
	}
	return target, nil
}

// DefaultFor is what a request from channel targets without --host: the
// channel's host or group, else default_host.
func (h *Hub) DefaultFor(channel string) string {
	if t := h.cfg.Channels[channel]; t != "" {
		return t
	}
	return h.cfg.DefaultHost
}

func (h *Hub) groupNames() string {
	names := make([]string, 0, len(h.cfg.Groups)+1)
	for g := range h.cfg.Groups {
		names = append(names, g)
	}
	slices.Sort(names)
	return strings.Join(append(names, All), ", ")
}

// expand returns the hosts a resolved target stands for.
func (h *Hub) expand(target string) []string {
	if target == All {
		return h.Hosts(context.Background())
	}
	if members, ok := h.cfg.Groups[target]; ok {
		return slices.Clone(members)
	}
	return []string{target}
}

// Handlers returns a handler for every operation the agents serve (those
// a backend owns, not the core): each plans and applies on the hosts its
// request targets, and ops.hosts, which lists the hosts.
func (h *Hub) Handlers() map[string]ops.Handler {
	out := map[string]ops.Handler{"ops.hosts": ops.ReadFunc(h.hostsOp)}
	for _, name := range ops.Names() {
		if ops.OwnerOf(name) != ops.OwnerCore {
			out[name] = remote{h}
		}
	}
	return out
}

// remote is the Handler of an operation served by the agents.
type remote struct{ h *Hub }

func (r remote) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	hosts := r.h.expand(req.Op.Host)
	// A group (or all) answers as one even when it holds a single host, so
	// its answer has the same shape, and a write to it the same approval.
	one := len(hosts) == 1 && hosts[0] == req.Op.Host
	if ops.KindOf(req.Op.Name) == ops.Read {
		return &ops.Plan{Apply: func(ctx context.Context) (ops.Outcome, error) {
			return r.h.read(ctx, hosts, one, req)
		}}, nil
	}
	if one {
		if req.Op.Has(onFailure) {
			return nil, ops.InvalidField(onFailure, "--on-failure is for a write to a host group (--host GROUP), where a host may fail after others changed; %s is one host", req.Op.Host)
		}
		return r.h.planOne(ctx, hosts[0], req)
	}
	return r.h.planGroup(ctx, hosts, req)
}

// read runs a read on each host, in parallel up to maxInFlight and under
// one deadline. On one host the answer is
// that host's; on several it is one combined answer with a section per
// host, unreachable hosts named.
func (h *Hub) read(ctx context.Context, hosts []string, one bool, req ops.Request) (ops.Outcome, error) {
	if one {
		r, err := h.send(ctx, hosts[0], KindApply, h.cfg.Timeout, Request{Actor: req.Actor, Op: forHost(req.Op)})
		return outcome(r, err)
	}
	results := fanOut(ctx, h.cfg.Timeout, hosts, func(ctx context.Context, host string) HostResult {
		r, err := h.send(ctx, host, KindApply, h.cfg.Timeout, Request{Actor: req.Actor, Op: forHost(req.Op)})
		return hostResult(host, r, err)
	}, func(host string, why error) HostResult { return hostResult(host, Reply{}, why) })
	return combine(req.Op.Host, results, nil, nil)
}

// forHost is op as an agent gets it: the hub's routing (--host, and what
// a group write does when a host fails) stays on the hub.
func forHost(op ops.Operation) ops.Operation {
	op.Host = ""
	op.Args = slices.DeleteFunc(slices.Clone(op.Args), func(a ops.Arg) bool { return a.Key == onFailure })
	return op
}

// outcome turns one host's reply into the operation's outcome or error.
func outcome(r Reply, err error) (ops.Outcome, error) {
	if err != nil {
		return ops.Outcome{}, unreachableErr(err)
	}
	if r.Status != "" && r.Status != ops.StatusOK {
		return ops.Outcome{Changes: r.Changes}, replyErr(r)
	}
	out := ops.Outcome{Message: r.Message, Body: ops.Body{Parts: r.Parts}, Changes: r.Changes, Data: map[string]any{}, Private: r.Private}
	if len(r.Data) > 0 {
		var d any
		if json.Unmarshal(r.Data, &d) == nil && d != nil {
			out.Data = d
		}
	}
	return out, nil
}

// planOne plans a write on one host; applying sends the plan's fingerprint
// along, so the agent applies only what was planned (and approved).
func (h *Hub) planOne(ctx context.Context, host string, req ops.Request) (*ops.Plan, error) {
	r, err := h.send(ctx, host, KindPlan, h.cfg.Timeout, Request{Actor: req.Actor, Op: forHost(req.Op)})
	if err != nil {
		return nil, unreachableErr(err)
	}
	if r.Status != "" && r.Status != ops.StatusOK {
		return nil, replyErr(r)
	}
	return &ops.Plan{
		Summary: r.Summary, Fingerprint: r.Fingerprint, Changes: r.Changes, Effects: r.Effects,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			return h.applyOne(ctx, host, req, r.Fingerprint)
		},
	}, nil
}

// A rolling apply on one host is the agent's run; the hub reports it as one
// step, so that the surface shows the run's ID, which /ops cancel on the
// hub passes on (Hub.Cancel), and the agent's own steps (its batches)
// stream in as that step's note (progress.go).
func (h *Hub) applyOne(ctx context.Context, host string, req ops.Request, fingerprint string) (ops.Outcome, error) {
	run := ops.RunOf(ctx)
	rolling := req.Op.Has(catalog.RollingFlag.Name)
	progress := ops.Progress{Title: fmt.Sprintf("%s on %s", req.Op.Describe(), host),
		Steps: []ops.Step{{Name: host, Items: []string{host}, State: ops.StepRunning}}}
	var feed *progressFeed
	if rolling {
		run.Report(progress)
		feed = h.watchProgress(ctx, host, func(p ops.Progress) {
			progress.Steps[0].Note = hostNote(p)
			run.Report(progress)
		})
		defer feed.close()
	}
	r, err := h.sendWatching(ctx, host, KindApply, max(h.cfg.Timeout, ApplyTimeout), h.applyRequest(ctx, req, fingerprint), feed)
	out, err := outcome(r, err)
	if rolling {
		progress.Steps[0].State, progress.Finished = ops.StepDone, true
		if err != nil {
			_, msg := ops.UserError(err)
			progress.Steps[0].State, progress.Steps[0].Note = ops.StepFailed, firstLine(msg)
		}
		run.Report(progress)
	}
	return out, err
}

// planGroup plans a write on every host of a group. It applies only when
// every host could plan it, always after approval, one host after the
// other, and stops at the first host where it fails.
func (h *Hub) planGroup(ctx context.Context, hosts []string, req ops.Request) (*ops.Plan, error) {
	plans := make([]*ops.Plan, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, host := range hosts {
		wg.Go(func() { plans[i], errs[i] = h.planOne(ctx, host, req) })
	}
	wg.Wait()
	var problems []string
	status := ops.StatusInvalid
	for i, err := range errs {
		if err != nil {
			_, msg := ops.UserError(err)
			problems = append(problems, hosts[i]+": "+msg)
			if errors.Is(err, ErrUnreachable) { // not the request's fault: it may work later
				status = ops.StatusFailed
			}
		}
	}
	if len(problems) > 0 {
		return nil, &ops.Error{Status: status, Msg: fmt.Sprintf("%s cannot be applied to every host of %s, so it is not applied to any:\n%s",
			req.Op.Describe(), req.Op.Host, strings.Join(problems, "\n"))}
	}
	policy, err := h.failurePolicy(req, plans)
	if err != nil {
		return nil, err
	}
	var summary []string
	var changes []ops.FileChange
	fp := sha256.New()
	fmt.Fprintf(fp, "on-failure=%s\n", policy)
	for i, p := range plans {
		summary = append(summary, "== "+hosts[i]+" ==\n"+p.Summary)
		fmt.Fprintf(fp, "%s=%s\n", hosts[i], p.Fingerprint)
		for _, c := range p.Changes {
			c.Path = hosts[i] + ":" + c.Path
			changes = append(changes, c)
		}
	}
	return &ops.Plan{
		Summary: fmt.Sprintf("On %d hosts of %s, one after the other; %s:\n%s", len(hosts), req.Op.Host,
			policyText[policy], strings.Join(summary, "\n\n")),
		Fingerprint:   hex.EncodeToString(fp.Sum(nil)),
		Changes:       changes,
		NeedsApproval: true,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			return h.rollGroup(ctx, hosts, plans, req, policy)
		},
	}, nil
}

func (h *Hub) applyRequest(ctx context.Context, req ops.Request, fingerprint string) Request {
	areq := Request{Actor: req.Actor, Op: forHost(req.Op), Fingerprint: fingerprint}
	areq.ApprovalID, areq.Approver, _ = ops.Approved(ctx)
	if run := ops.RunOf(ctx); run != nil {
		areq.RunID = run.ID
	}
	return areq
}
