package maintenance

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Ops runs /ops maintenance and /ops mute.
type Ops struct {
	Store *Store
	// Host is this host: what a window or mute without --host covers.
	Host string
	// Max is the longest window or mute a command may set.
	Max time.Duration
	// CanWrite reports whether actor may run any backend write: a freeze
	// asked by someone who could not write anyway is refused, since it
	// would stop others' work without costing them anything.
	CanWrite func(ops.Actor) bool
	// Approvers are the roles a freeze lets write, for the answers.
	Approvers []string
	// Announce tells the notify channels that alerts are silenced (a
	// window started, a mute set), so an operator cannot hide a crash
	// from the rest of the team unseen; nil: nobody is told. A failure is
	// the announcer's to log: the request is done either way.
	Announce func(ctx context.Context, text string) error
	Now      func() time.Time
}

// announce passes text to Announce, when there is one.
func (o Ops) announce(ctx context.Context, text string) {
	if o.Announce != nil {
		_ = o.Announce(context.WithoutCancel(ctx), text)
	}
}

// Handlers returns the handlers of ops.maintenance, ops.maintenance.list
// and ops.mute.
func (o Ops) Handlers() map[string]ops.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	return map[string]ops.Handler{
		"ops.maintenance":      handler(o.maintenance),
		"ops.maintenance.list": ops.ReadFunc(o.list),
		"ops.mute":             handler(o.mute),
	}
}

type handler func(ctx context.Context, req ops.Request) (*ops.Plan, error)

func (h handler) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) { return h(ctx, req) }

func (o Ops) duration(name, v string, zero bool) (time.Duration, error) {
	d, err := catalog.ParseDuration(v)
	switch {
	case err != nil:
		return 0, ops.Invalidf("%s must be a duration like 30m or 2h, not %q", name, v)
	case d < 0 || (d == 0 && !zero):
		return 0, ops.Invalidf("%s must be above 0, not %s", name, v)
	case d > o.Max:
		return 0, ops.Invalidf("%s is %s; the longest allowed is %s (maintenance.max_duration)", name, d, o.Max)
	}
	return d, nil
}

func (o Ops) maintenance(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	host := cmp.Or(req.Op.Host, o.Host)
	action, _ := req.Op.Get("action")
	if action == "stop" {
		return o.stop(ctx, req, host)
	}
	d, err := o.duration("DURATION", req.Op.Target, false)
	if err != nil {
		return nil, err
	}
	freeze := req.Op.Has("freeze")
	if freeze && (o.CanWrite == nil || !o.CanWrite(req.Actor)) {
		return nil, ops.Deniedf("%s may not write on %s, so may not freeze writes there either", req.Actor, host)
	}
	reason, _ := req.Op.Get("reason")
	now := o.Now()
	running, err := o.Store.started(ctx, now)
	if err != nil {
		return nil, ops.Fail(err, "could not read the maintenance windows")
	}
	for _, w := range running {
		if w.Host == host {
			return nil, ops.Conflictf("a maintenance window on %s runs already: %s; stop it first (/ops maintenance stop)", host, describe(w))
		}
	}
	w := Window{Host: host, Start: now, End: now.Add(d), Freeze: freeze, Reason: reason, By: req.Actor.String()}
	summary := fmt.Sprintf("Maintenance on %s %s", host, describe(w))
	return &ops.Plan{Summary: summary, Apply: func(ctx context.Context) (ops.Outcome, error) {
		// The window starts when it is applied, not when it was planned.
		now := o.Now()
		w.Start, w.End = now, now.Add(d)
		got, err := o.Store.Start(ctx, w)
		if err != nil {
			return ops.Outcome{}, ops.Fail(err, "could not start the maintenance window")
		}
		msg := fmt.Sprintf("Maintenance on %s %s. Alerts are held back until it ends, then summed up in one message.", host, describe(got))
		if got.Freeze {
			msg += fmt.Sprintf(" Writes are frozen: only %s may write meanwhile.", strings.Join(o.Approvers, " or "))
		}
		o.announce(ctx, fmt.Sprintf("%s started maintenance on %s %s: its alerts are held back until then.", req.Actor, host, describe(got)))
		return ops.Outcome{Message: msg, Data: map[string]any{"window": got}}, nil
	}}, nil
}

func (o Ops) stop(ctx context.Context, req ops.Request, host string) (*ops.Plan, error) {
	running, err := o.Store.started(ctx, o.Now())
	if err != nil {
		return nil, ops.Fail(err, "could not read the maintenance windows")
	}
	var mine []Window
	for _, w := range running {
		if w.Host == host {
			mine = append(mine, w)
		}
	}
	if len(mine) == 0 {
		msg := fmt.Sprintf("no maintenance window started by a command runs on %s", host)
		if ws, err := o.Store.Covering(ctx, host, o.Now()); err == nil && len(ws) > 0 {
			msg += " (the scheduled window of the config, maintenance.windows, cannot be stopped from chat)"
		}
		return nil, ops.Invalidf("%s", msg)
	}
	return &ops.Plan{Summary: fmt.Sprintf("End the maintenance on %s %s", host, describe(mine[0])),
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			stopped, err := o.Store.Stop(ctx, host, o.Now())
			if err != nil {
				return ops.Outcome{}, ops.Fail(err, "could not stop the maintenance window")
			}
			if len(stopped) == 0 {
				return ops.Outcome{}, ops.Conflictf("the maintenance window on %s ended meanwhile", host)
			}
			return ops.Outcome{Message: fmt.Sprintf("Maintenance on %s ended; the alerts it held are summed up in the notify channel.", host),
				Data: map[string]any{"windows": stopped}}, nil
		}}, nil
}

func (o Ops) mute(_ context.Context, req ops.Request) (*ops.Plan, error) {
	host := cmp.Or(req.Op.Host, o.Host)
	target := req.Op.Target
	if target == "all" {
		return nil, ops.Invalidf("mute one program, GROUP:* or pool, not all: for a whole host, /ops maintenance start")
	}
	v, _ := req.Op.Get("duration")
	d, err := o.duration("DURATION", v, true)
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("Mute the alerts of %s on %s for %s", target, host, d)
	if d == 0 {
		summary = fmt.Sprintf("End the mute of %s on %s", target, host)
	}
	return &ops.Plan{Summary: summary, Apply: func(ctx context.Context) (ops.Outcome, error) {
		now := o.Now()
		m := Mute{Host: host, Target: target, Until: now.Add(d), By: req.Actor.String()}
		old, had, err := o.Store.Mute(ctx, m, now)
		if err != nil {
			return ops.Outcome{}, ops.Fail(err, "could not record the mute")
		}
		var msg string
		switch {
		case d == 0 && !had:
			msg = fmt.Sprintf("%s on %s was not muted.", target, host)
		case d == 0:
			msg = fmt.Sprintf("The mute of %s on %s (by %s) has ended: its alerts are posted again.", target, host, old.By)
		case had:
			// A mute that runs is never stretched unseen: the renewal is
			// announced as one, with the end it replaces.
			msg = fmt.Sprintf("The mute of %s on %s is renewed: until %s instead of %s (set by %s).", target, host, stamp(m.Until), stamp(old.Until), old.By)
			o.announce(ctx, fmt.Sprintf("%s renewed the mute of %s on %s: its alerts stay silenced until %s instead of %s (muted by %s).",
				req.Actor, target, host, stamp(m.Until), stamp(old.Until), old.By))
		default:
			msg = fmt.Sprintf("Alerts of %s on %s are muted until %s.", target, host, stamp(m.Until))
			o.announce(ctx, fmt.Sprintf("%s muted the alerts of %s on %s until %s.", req.Actor, target, host, stamp(m.Until)))
		}
		return ops.Outcome{Message: msg, Data: map[string]any{"mute": m}}, nil
	}}, nil
}

func (o Ops) list(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	now := o.Now()
	windows, err := o.Store.Windows(ctx, cmp.Or(req.Op.Host, o.Host), now)
	if err != nil {
		return ops.Outcome{}, ops.Fail(err, "could not read the maintenance windows")
	}
	mutes, err := o.Store.Mutes(ctx, now)
	if err != nil {
		return ops.Outcome{}, ops.Fail(err, "could not read the mutes")
	}
	if windows == nil {
		windows = []Window{}
	}
	if mutes == nil {
		mutes = []Mute{}
	}
	var b strings.Builder
	if len(windows) == 0 {
		b.WriteString("No maintenance window runs.")
	} else {
		fmt.Fprintf(&b, "%d maintenance window(s):", len(windows))
		for _, w := range windows {
			fmt.Fprintf(&b, "\n  %s %s", w.Host, describe(w))
		}
	}
	if len(mutes) == 0 {
		b.WriteString("\nNo mutes.")
	} else {
		fmt.Fprintf(&b, "\n%d mute(s):", len(mutes))
		for _, m := range mutes {
			fmt.Fprintf(&b, "\n  %s on %s until %s, by %s", m.Target, m.Host, stamp(m.Until), m.By)
		}
	}
	return ops.Outcome{Message: b.String(), Data: map[string]any{"windows": windows, "mutes": mutes}}, nil
}

// describe says who started w, until when, why and whether it freezes.
func describe(w Window) string {
	s := fmt.Sprintf("by %s until %s", w.By, stamp(w.End))
	if w.Freeze {
		s += ", writes frozen"
	}
	if w.Reason != "" {
		s += fmt.Sprintf(" (%s)", w.Reason)
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// Frozen is ops.Config.Frozen for hosts: why writes to target (a host, or
// a group or all that hosts expands) are frozen, naming the window, or "".
func (s *Store) Frozen(ctx context.Context, hosts []string, now time.Time) (string, error) {
	for _, h := range hosts {
		ws, err := s.Covering(ctx, h, now)
		if err != nil {
			return "", err
		}
		for _, w := range ws {
			if w.Freeze {
				return fmt.Sprintf("writes on %s are frozen by a maintenance window %s", h, describe(w)), nil
			}
		}
	}
	return "", nil
}
