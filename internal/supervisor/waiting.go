package supervisor

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// waitFor is what a start or stop call concerns.
type waitFor struct {
	start bool
	group string // "" for every group
	name  string // "" for every process of group
}

// waitForName parses a process name as supervisord takes it: "group:name",
// "group:*", or a name that is also its group's.
func waitForName(start bool, name string) waitFor {
	group, proc, ok := strings.Cut(name, ":")
	if !ok {
		proc = name
	}
	if proc == "*" {
		proc = ""
	}
	return waitFor{start: start, group: group, name: proc}
}

func (w waitFor) String() string {
	verb := "stopping"
	if w.start {
		verb = "starting"
	}
	switch {
	case w.group == "":
		return verb + " all processes"
	case w.name == "":
		return verb + " group " + w.group
	}
	return verb + " " + w.group + ":" + w.name
}

// callWaiting makes a start or stop call. One made with wait is answered
// only once its processes have started (startsecs) or stopped (stopwaitsecs,
// then a kill), which is longer than a call timeout chosen for calls
// answered at once; on a busy machine a stop easily outlasts it. So it is
// given the longest startsecs or stopwaitsecs of the processes it concerns,
// read from supervisord just before, on top of the client's timeout. The
// caller's context still bounds it.
func (c *Client) callWaiting(ctx context.Context, w waitFor, wait bool, method string, reply any, args ...any) error {
	if !wait {
		return c.Call(ctx, method, reply, args...)
	}
	secs, err := c.longestSettle(ctx, w)
	if err != nil {
		return err
	}
	limit := c.timeout + time.Duration(secs)*time.Second
	return c.call(ctx, limit, fmt.Sprintf("%s (up to %ds each)", w, secs), method, reply, args...)
}

// longestSettle returns the longest startsecs (start) or stopwaitsecs (stop)
// among the processes w concerns; 0 when none is known, e.g. a wrong name,
// which supervisord then refuses at once.
func (c *Client) longestSettle(ctx context.Context, w waitFor) (int, error) {
	configs, err := c.GetAllConfigInfo(ctx)
	if err != nil {
		return 0, err
	}
	key := "stopwaitsecs"
	if w.start {
		key = "startsecs"
	}
	longest := 0
	for _, cfg := range configs {
		if w.group != "" && fmt.Sprint(cfg["group"]) != w.group ||
			w.name != "" && fmt.Sprint(cfg["name"]) != w.name {
			continue
		}
		var n int
		if _, err := fmt.Sscan(fmt.Sprint(cfg[key]), &n); err == nil && n > longest {
			longest = n
		}
	}
	return longest, nil
}
