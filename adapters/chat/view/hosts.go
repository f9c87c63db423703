package view

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// HostPart is one host's part of an answer that spans several hosts (a
// read with --host all or a group, a write to a group): the host, how it
// ended there, and its answer as a result of its own, which the renderers
// draw as they draw a single host's.
type HostPart struct {
	Host   string
	Status ops.Status
	Result ops.Result // Operation is the whole answer's

	unreachable bool
}

// Hosts returns the parts of an answer that spans several hosts (a fleet
// hub's typed sections, ops.Body.Hosts), none for any other answer.
func Hosts(res ops.Result) []HostPart {
	parts := make([]HostPart, len(res.Body.Hosts))
	for i, h := range res.Body.Hosts {
		r := ops.Result{Status: h.Status, Operation: res.Operation, Message: h.Text(), Data: h.Data, Body: ops.Body{Parts: h.Parts}}
		parts[i] = HostPart{Host: h.Host, Status: h.Status, Result: r, unreachable: h.Unreachable}
	}
	return parts
}

// OK reports whether the host answered and its part succeeded.
func (p HostPart) OK() bool { return p.Status == ops.StatusOK }

// Unreachable reports whether the host did not answer at all (the hub's
// "unreachable" field); its status is failed either way.
func (p HostPart) Unreachable() bool { return p.unreachable }

// NeedsLook returns the state of the process that most needs a look on a
// host that answered ok, when any failed or keeps failing (FATAL, BACKOFF,
// UNKNOWN, EXITED), and whether there is one.
func (p HostPart) NeedsLook() (string, bool) {
	d := Decode(p.Result.Data)
	var procs []Process
	switch {
	case d.Programs != nil:
		procs = *d.Programs
	case d.Program != nil:
		procs = d.Program.Processes
	}
	worst := ""
	for _, pr := range procs {
		if r := StateRank(pr.State); r < StateRank("STOPPING") && (worst == "" || r < StateRank(worst)) {
			worst = pr.State
		}
	}
	return worst, worst != ""
}

// AttentionFirst returns parts with the hosts that failed or did not
// answer first, then those with processes that need a look, then the
// rest, each group in its own order.
func AttentionFirst(parts []HostPart) []HostPart {
	var failed, look, fine []HostPart
	for _, p := range parts {
		switch {
		case !p.OK():
			failed = append(failed, p)
		case lookAt(p):
			look = append(look, p)
		default:
			fine = append(fine, p)
		}
	}
	return slices.Concat(failed, look, fine)
}

func lookAt(p HostPart) bool {
	_, ok := p.NeedsLook()
	return ok
}

// HostsHeadline is the first line of an answer that spans several hosts:
// the hub's summary when it has one (it names the hosts that failed), else
// a count.
func HostsHeadline(res ops.Result, parts []HostPart) string {
	if head, _ := textfit.FirstLine(res.Summary()); head != "" {
		return head
	}
	return fmt.Sprintf("All %s answered.", Plural(len(parts), "host", "hosts"))
}

// Gist says in one line of plain text what a host answered, for a list of
// hosts: "6 processes, all RUNNING", "3 pools", or the first line of its
// message ("host unreachable: no answer from web-02 within 5s").
func (p HostPart) Gist() string {
	head, _ := textfit.FirstLine(p.Result.Summary())
	if !p.OK() {
		return textfit.FirstNonEmpty(head, string(p.Status))
	}
	d := Decode(p.Result.Data)
	switch {
	case d.Programs != nil:
		return processGist(*d.Programs)
	case d.Program != nil:
		return "program " + d.Program.Name + ": " + processGist(d.Program.Processes)
	case d.Log != nil:
		return fmt.Sprintf("%s of %s's %s log", Plural(len(d.Log.Text), "byte", "bytes"), d.Log.Name, d.Log.Stream)
	case strings.HasPrefix(p.Result.Operation, "fpm.service.") && d.Pools != nil:
		st := DecodeFPMStatus(p.Result.Data)
		busy := 0
		for _, pool := range st.Pools {
			if state, _, _ := PoolLoad(pool); state != "RUNNING" {
				busy++
			}
		}
		gist := textfit.FirstNonEmpty(st.State, "php-fpm") + ", " + Plural(len(st.Pools), "pool", "pools")
		if busy > 0 {
			gist += fmt.Sprintf(", %d saturated or without figures", busy)
		}
		return gist
	case d.Pools != nil:
		return Plural(len(*d.Pools), "pool", "pools")
	}
	return textfit.FirstNonEmpty(head, "ok")
}

// processGist counts processes by state, attention first.
func processGist(procs []Process) string {
	counts := CountStates(procs)
	switch len(counts) {
	case 0:
		return "no processes"
	case 1:
		if len(procs) == 1 {
			return "1 process, " + counts[0].State
		}
		return fmt.Sprintf("%d processes, all %s", len(procs), counts[0].State)
	}
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%d %s", c.N, c.State)
	}
	return fmt.Sprintf("%d processes: %s", len(procs), strings.Join(parts, ", "))
}

// Plural counts n things: "1 host", "3 hosts".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// JoinNames lists names, comma-separated, within max bytes; names that do
// not fit are counted ("web-01, web-02 … and 40 more").
func JoinNames(names []string, max int) string {
	more := func(n int) string {
		if n == 0 {
			return ""
		}
		return fmt.Sprintf(" … and %d more", n)
	}
	var b strings.Builder
	for i, n := range names {
		sep := ", "
		if i == 0 {
			sep = ""
		}
		// Each name keeps room for the count of those after it, so that
		// the count always fits where the list stops.
		if b.Len()+len(sep)+len(n)+len(more(len(names)-i-1)) > max {
			return textfit.Truncate(strings.TrimPrefix(b.String()+more(len(names)-i), " "), max)
		}
		b.WriteString(sep + n)
	}
	return b.String()
}

// Health words of /ops hosts, attention first.
const (
	HostUnreachable = "unreachable"
	HostUnhealthy   = "unhealthy"
	HostHealthy     = "healthy"
)

// DecodeHostInfos reads the data of /ops hosts: {"hosts": [HostInfo…]},
// each named by "name". It reports false for any other data.
func DecodeHostInfos(v any) ([]ops.HostInfo, bool) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var shape struct {
		Hosts []map[string]json.RawMessage `json:"hosts"`
	}
	if json.Unmarshal(raw, &shape) != nil || len(shape.Hosts) == 0 {
		return nil, false
	}
	for _, h := range shape.Hosts {
		if _, ok := h["name"]; !ok {
			return nil, false
		}
	}
	var infos struct {
		Hosts []ops.HostInfo `json:"hosts"`
	}
	if json.Unmarshal(raw, &infos) != nil {
		return nil, false
	}
	return infos.Hosts, true
}

// Health is a host's state as /ops hosts shows it.
func Health(in ops.HostInfo) string {
	switch {
	case in.Unreachable != "":
		return HostUnreachable
	case !in.Healthy:
		return HostUnhealthy
	}
	return HostHealthy
}

// HealthFirst returns infos with unreachable hosts first, then unhealthy
// ones, then the rest, each group in its own order.
func HealthFirst(infos []ops.HostInfo) []ops.HostInfo {
	rank := map[string]int{HostUnreachable: 0, HostUnhealthy: 1, HostHealthy: 2}
	out := slices.Clone(infos)
	slices.SortStableFunc(out, func(a, b ops.HostInfo) int { return rank[Health(a)] - rank[Health(b)] })
	return out
}

// Components says how a host's parts are, those that are down first:
// "php-fpm DOWN (status page refused); supervisord ok".
func Components(cs []ops.Component) string {
	sorted := slices.Clone(cs)
	slices.SortStableFunc(sorted, func(a, b ops.Component) int {
		switch {
		case !a.OK && b.OK:
			return -1
		case a.OK && !b.OK:
			return 1
		}
		return 0
	})
	parts := make([]string, len(sorted))
	for i, c := range sorted {
		parts[i] = c.Name + " ok"
		if !c.OK {
			parts[i] = c.Name + " DOWN"
		}
		if c.Info != "" {
			parts[i] += " (" + c.Info + ")"
		}
	}
	return strings.Join(parts, "; ")
}

// UnreachableReason is why a host did not answer /ops hosts, without the
// "unreachable: " of the hub's error (fleet.ErrUnreachable) that the
// host's state already says.
func UnreachableReason(in ops.HostInfo) string {
	return strings.TrimPrefix(in.Unreachable, "unreachable: ")
}
