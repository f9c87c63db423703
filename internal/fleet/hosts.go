package fleet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// hostsOp is /ops hosts on a hub: every known host asked for its health
// now, in parallel; those that do not answer within the request timeout
// are shown as unreachable with when they were last heard from.
func (h *Hub) hostsOp(ctx context.Context, _ ops.Request) (ops.Outcome, error) {
	hosts := h.Hosts(ctx)
	infos := make([]ops.HostInfo, len(hosts))
	var wg sync.WaitGroup
	for i, host := range hosts {
		wg.Go(func() { infos[i] = h.hostInfo(ctx, host) })
	}
	wg.Wait()

	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tSTATE\tVERSION\tLAST SEEN\tALERTS\tDETAILS")
	up := 0
	for _, in := range infos {
		state, details := "healthy", componentText(in.Components)
		switch {
		case in.Unreachable != "":
			state, details = "UNREACHABLE", in.Unreachable
		case !in.Healthy:
			state = "unhealthy"
		}
		if in.Unreachable == "" {
			up++
		}
		seen := "never"
		if !in.LastSeen.IsZero() {
			seen = h.cfg.Now().Sub(in.LastSeen).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", in.Name, state, orDash(in.Version), seen, in.OpenAlerts, details)
	}
	w.Flush()
	msg := fmt.Sprintf("%d of %d hosts answer.\n%s", up, len(infos), strings.TrimRight(b.String(), "\n"))
	return ops.Outcome{Message: msg, Data: map[string]any{"hosts": infos}}, nil
}

func (h *Hub) hostInfo(ctx context.Context, host string) ops.HostInfo {
	in := ops.HostInfo{Name: host, Components: []ops.Component{}}
	r, err := h.send(ctx, host, KindHealth, h.cfg.Timeout, Request{})
	switch {
	case err == nil && r.Announce != nil && r.Announce.Host == host:
		h.saw(*r.Announce)
	case err == nil && r.Announce != nil:
		err = fmt.Errorf("its agent answers as %q", r.Announce.Host)
	case err == nil:
		err = fmt.Errorf("%s", r.Message)
	}
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
