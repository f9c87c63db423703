package fleet

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// relay posts the agents' alerts through the hub's chat notifiers and
// remembers, for each agent's alert, the message each platform posted, so
// that updates and recoveries land on the same message and thread.
type relay struct {
	log *slog.Logger

	mu        sync.Mutex
	notifiers map[string]alert.Notifier    // by platform
	refs      map[string]map[string]string // host/agent ref -> platform -> message ref
}

func newRelay(log *slog.Logger) *relay {
	return &relay{log: log, notifiers: map[string]alert.Notifier{}, refs: map[string]map[string]string{}}
}

// AddNotifier posts the agents' alerts to one more chat platform.
func (h *Hub) AddNotifier(platform string, n alert.Notifier) {
	h.relay.mu.Lock()
	defer h.relay.mu.Unlock()
	h.relay.notifiers[platform] = n
}

// maxOpenAlerts bounds what the relay remembers: an agent that posts alerts
// and never resolves them cannot make the hub grow without end.
const maxOpenAlerts = 10000

// forward posts, updates or resolves one alert of host, the host whose
// key signed it.
func (r *relay) forward(ctx context.Context, host string, ev AlertEvent) {
	a := ev.Alert
	a.Host = host
	a.Action, a.ActionLabel = alertAction(host, a)
	if a.Pool != nil {
		d := *a.Pool
		d.Apply = applyAction(host, d)
		a.Pool = &d
	}
	if a.Action == "" && ev.Alert.Action != "" {
		r.log.Warn("fleet hub: an alert without a button: no command fits its kind and program",
			"host", host, "kind", a.Kind, "program", a.Program)
	}
	key := host + "/" + ev.Ref
	r.mu.Lock()
	notifiers := make(map[string]alert.Notifier, len(r.notifiers))
	for k, v := range r.notifiers {
		notifiers[k] = v
	}
	refs := r.refs[key]
	if ev.What != "recover" && refs == nil && len(r.refs) < maxOpenAlerts {
		refs = map[string]string{}
		r.refs[key] = refs
	}
	if ev.What == "recover" {
		delete(r.refs, key)
	}
	r.mu.Unlock()

	for platform, n := range notifiers {
		r.mu.Lock()
		ref, posted := refs[platform]
		r.mu.Unlock()
		var err error
		switch {
		case ev.What == "post" || (ev.What == "update" && !posted):
			var got string
			if got, err = n.PostAlert(ctx, a); err == nil && refs != nil {
				r.mu.Lock()
				refs[platform] = got
				r.mu.Unlock()
			}
		case ev.What == "update":
			err = n.UpdateAlert(ctx, ref, a)
		case ev.What == "recover" && posted:
			err = n.PostRecovery(ctx, ref, a)
		}
		if err != nil {
			r.log.Warn("fleet hub: could not relay an alert", "host", host, "program", a.Program, "platform", platform, "err", err)
		}
	}
}

// alertAction is the command of an alert's button and its label, made by
// the hub: agents send facts, never commands. A program alert restarts the
// program, a pool alert asks for sizing advice, each on the host that
// alerted. A program or pool that is no valid name (or "all", which would
// mean every program) gets no button.
func alertAction(host string, a alert.Alert) (action, label string) {
	switch a.Kind {
	case "program":
		if validProcess(a.Program) {
			return "supervisor restart " + a.Program + " --host " + host, "Restart"
		}
	case "pool":
		if ops.ValidName(a.Program) {
			return "fpm tune " + a.Program + " --host " + host, "Sizing advice"
		}
		// A host with several instances names its pool alerts "POOL --php
		// NAME"; the detail says which pool of which instance.
		if d := a.Pool; d != nil && d.PHP != "" && ops.ValidName(d.Pool) && ops.ValidName(d.PHP) {
			return "fpm tune " + d.Pool + " --" + ops.InstanceArg + " " + d.PHP + " --host " + host, "Sizing advice"
		}
	}
	return "", ""
}

// applyAction is the command of a saturation alert's "Apply advice"
// button, made by the hub from the agent's facts like alertAction: /fpm
// tune POOL --apply on the host that alerted, with its instance when it
// named one; "" when the advice changes nothing or a name is not valid.
func applyAction(host string, d alert.PoolDetail) string {
	if !d.Changes() || !ops.ValidName(d.Pool) || (d.PHP != "" && !ops.ValidName(d.PHP)) {
		return ""
	}
	cmd := "fpm tune " + d.Pool + " --apply"
	if d.PHP != "" {
		cmd += " --" + ops.InstanceArg + " " + d.PHP
	}
	return cmd + " --host " + host
}

// validProcess reports whether s names one program: NAME or GROUP:NAME,
// never a wildcard or all.
func validProcess(s string) bool {
	group, name, grouped := strings.Cut(s, ":")
	return s != All && ops.ValidName(group) && (!grouped || ops.ValidName(name))
}
