package fleet

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Host states, as /ops hosts shows them and --state picks them
// (catalog.HostStates); "problem" picks both kinds of problem.
const (
	stateOK          = "ok"
	stateUnhealthy   = "unhealthy"
	stateUnreachable = "unreachable"
	stateProblem     = "problem"
)

// hostsOp is /ops hosts on a hub: every known host asked for its health
// now (maxInFlight at a time, under one deadline); those that do not
// answer in time are shown as unreachable with when they were last heard
// from. The hosts with problems come first; --state keeps one state.
func (h *Hub) hostsOp(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	want, _ := req.Op.Get(catalog.StateFlag.Name)
	if want != "" && !slices.Contains(catalog.HostStates, want) {
		return ops.Outcome{}, ops.InvalidField(catalog.StateFlag.Name, "--state is one of %s", strings.Join(catalog.HostStates, ", "))
	}
	all := fanOut(ctx, h.cfg.Timeout, h.Hosts(ctx), h.hostInfo, h.missedInfo)
	counts := map[string]int{}
	for _, in := range all {
		counts[stateOf(in)]++
	}
	infos := slices.DeleteFunc(all, func(in ops.HostInfo) bool { return !picked(stateOf(in), want) })
	slices.SortStableFunc(infos, func(a, b ops.HostInfo) int { return cmp.Compare(stateRank(stateOf(a)), stateRank(stateOf(b))) })

	rows := [][]string{{"HOST", "STATE", "VERSION", "LAST SEEN", "ALERTS", "DETAILS"}}
	problems := 0
	for _, in := range infos {
		state, details := stateOf(in), componentText(in.Components)
		if state == stateUnreachable {
			details = in.Unreachable
		}
		if state != stateOK {
			problems++
		}
		seen := "never"
		if !in.LastSeen.IsZero() {
			seen = h.cfg.Now().Sub(in.LastSeen).Round(time.Second).String() + " ago"
		}
		rows = append(rows, []string{in.Name, stateWords[state], orDash(in.Version), seen, strconv.Itoa(in.OpenAlerts), details})
	}
	head := fmt.Sprintf("%d of %d hosts answer; %d ok, %d unhealthy, %d unreachable.", len(all)-counts[stateUnreachable], len(all),
		counts[stateOK], counts[stateUnhealthy], counts[stateUnreachable])
	if want != "" {
		head += fmt.Sprintf(" %d %s:", len(infos), want)
	}
	data := map[string]any{"hosts": infos, "counts": counts}
	full := ops.Body{Parts: []ops.Part{ops.Prose(head), ops.RowsTable(rows...)}}
	if len(infos) <= summaryOver {
		return ops.Outcome{Body: full, Data: data}, nil
	}
	// Many hosts: the problems in full, the whole table as a document.
	shown := ops.Prose(fmt.Sprintf("No host has a problem; the %d hosts are in the attached table.", len(infos)))
	if problems > 0 {
		shown = ops.RowsTable(rows[:1+problems]...)
	}
	body := ops.Body{Parts: []ops.Part{ops.Prose(head), shown}}
	return ops.Outcome{Body: body, Data: data, Attachment: textDocument("all", ops.Text(full, nil))}, nil
}

func stateOf(in ops.HostInfo) string {
	switch {
	case in.Unreachable != "":
		return stateUnreachable
	case !in.Healthy:
		return stateUnhealthy
	}
	return stateOK
}

// stateWords are the states as the table shows them.
var stateWords = map[string]string{stateOK: "healthy", stateUnhealthy: "unhealthy", stateUnreachable: "UNREACHABLE"}

// stateRank orders the states problems first.
func stateRank(state string) int {
	return map[string]int{stateUnreachable: 0, stateUnhealthy: 1, stateOK: 2}[state]
}

func picked(state, want string) bool {
	return want == "" || want == state || want == stateProblem && state != stateOK
}

func (h *Hub) hostInfo(ctx context.Context, host string) ops.HostInfo {
	r, err := h.send(ctx, host, KindHealth, h.cfg.Timeout, Request{})
	switch {
	case err == nil && r.Announce != nil && r.Announce.Host == host:
		h.saw(*r.Announce)
	case err == nil && r.Announce != nil:
		err = fmt.Errorf("its agent answers as %q", r.Announce.Host)
	case err == nil:
		err = fmt.Errorf("%s", r.Message)
	}
	return h.info(host, err)
}

// missedInfo is a host the deadline passed before it was asked.
func (h *Hub) missedInfo(host string, why error) ops.HostInfo { return h.info(host, why) }

// info is host as last heard from, unreachable with err when err is set.
func (h *Hub) info(host string, err error) ops.HostInfo {
	in := ops.HostInfo{Name: host, Components: []ops.Component{}}
	if s, ok := h.lastSeen(host); ok {
		in.Version, in.LastSeen, in.OpenAlerts = s.Version, s.at, s.OpenAlerts
		in.Components = s.Health
	}
	if err != nil {
		in.Unreachable = strings.TrimPrefix(err.Error(), ErrUnreachable.Error()+": ")
		return in
	}
	in.Healthy = true
	for _, c := range in.Components {
		if !c.OK {
			in.Healthy = false
		}
	}
	return in
}

func componentText(cs []ops.Component) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		mark := "ok"
		if !c.OK {
			mark = "DOWN"
		}
		part := c.Name + " " + mark
		if c.Info != "" {
			part += " (" + c.Info + ")"
		}
		parts = append(parts, part)
	}
	return orDash(strings.Join(parts, "; "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
