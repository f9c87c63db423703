// Package alert turns supervisord's process events into alerts for the chat
// channels: a program that goes FATAL, backs off or exits unexpectedly is
// posted once with its last log lines and a Restart button; while it keeps
// flapping that one message is updated (count, last state) instead of
// flooding the channel, and its recovery is posted in the same thread.
package alert

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
)

// Alert is one program's trouble as the chat adapters render it.
type Alert struct {
	Kind      string    `json:"kind"` // "program" or "pool"
	Host      string    `json:"host"`
	Program   string    `json:"program"` // group:process, the bare name, or the pool
	State     string    `json:"state"`   // the last state seen
	Count     int       `json:"count"`   // troubles seen since the alert opened
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	LogTail   string    `json:"log_tail,omitempty"`
	Recovered bool      `json:"recovered"`
	// Action is the command the alert's button runs, through RBAC and
	// approvals like any other request; ActionLabel is the button's text.
	Action      string `json:"action"`
	ActionLabel string `json:"action_label"`
}

// Summary is a one-line text form of a.
func (a Alert) Summary() string {
	if a.Recovered && a.Kind == "pool" {
		return fmt.Sprintf("PHP-FPM pool %s on %s has workers to spare again, after %d alert(s) since %s.",
			a.Program, a.Host, a.Count, a.First.UTC().Format("15:04:05 UTC"))
	}
	if a.Recovered {
		return fmt.Sprintf("%s on %s recovered: RUNNING again after %d problem(s) since %s.",
			a.Program, a.Host, a.Count, a.First.UTC().Format("15:04:05 UTC"))
	}
	subject := a.Program
	if a.Kind == "pool" {
		subject = "PHP-FPM pool " + a.Program
	}
	s := fmt.Sprintf("%s on %s is %s", subject, a.Host, a.State)
	if a.Count > 1 {
		s += fmt.Sprintf(" (%d times since %s)", a.Count, a.First.UTC().Format("15:04:05 UTC"))
	}
	return s + "."
}

// Notifier posts alerts to one chat platform.
type Notifier interface {
	// PostAlert posts a new alert and returns a reference to it.
	PostAlert(ctx context.Context, a Alert) (ref string, err error)
	// UpdateAlert replaces the alert posted as ref.
	UpdateAlert(ctx context.Context, ref string, a Alert) error
	// PostRecovery answers the alert posted as ref, in its thread.
	PostRecovery(ctx context.Context, ref string, a Alert) error
}

// Rules say which events alert and how often.
type Rules struct {
	States     []string      // states that alert, like FATAL and BACKOFF
	Unexpected bool          // an EXITED that supervisord calls unexpected alerts
	FlapWindow time.Duration // troubles within this window update one alert
	Mute       []string      // programs never alerted: NAME or GROUP:*
	QuietHours string        // "HH:MM-HH:MM" local time: only FATAL alerts then; "" for none
}

// Engine decides and posts alerts.
type Engine struct {
	host      string
	rules     Rules
	notifiers map[string]Notifier // by platform
	tail      func(ctx context.Context, program string) string
	log       *slog.Logger
	now       func() time.Time

	mu   sync.Mutex
	open map[string]*open // by program
}

type open struct {
	alert Alert
	refs  map[string]string // platform -> message reference
}

// New returns an Engine; tail fetches a program's last log lines (may be nil).
func New(host string, rules Rules, notifiers map[string]Notifier, tail func(context.Context, string) string, log *slog.Logger) *Engine {
	if notifiers == nil {
		notifiers = map[string]Notifier{}
	}
	return &Engine{host: host, rules: rules, notifiers: notifiers, tail: tail, log: log, now: time.Now, open: map[string]*open{}}
}

// AddNotifier sends alerts to one more platform.
func (e *Engine) AddNotifier(platform string, n Notifier) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notifiers[platform] = n
}

// Open counts the alerts that are open (not recovered yet).
func (e *Engine) Open() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.open)
}

func (e *Engine) notifiersNow() map[string]Notifier {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]Notifier, len(e.notifiers))
	for k, v := range e.notifiers {
		out[k] = v
	}
	return out
}

// Handle looks at one event and posts, updates or resolves an alert.
func (e *Engine) Handle(ctx context.Context, ev events.Event) {
	program := ev.Group + ":" + ev.Process
	if ev.Group == ev.Process {
		program = ev.Process
	}
	state := ev.State()
	if e.muted(ev.Group, program) {
		return
	}
	switch {
	case state == "RUNNING":
		e.recover(ctx, program)
	case e.alerts(ev, state):
		e.trouble(ctx, program, Alert{Kind: "program", Program: program, State: state,
			Action: "supervisor restart " + program, ActionLabel: "Restart"})
	}
}

func (e *Engine) alerts(ev events.Event, state string) bool {
	if state == "EXITED" {
		return e.rules.Unexpected && ev.Fields["expected"] == "0"
	}
	if !slices.Contains(e.rules.States, state) {
		return false
	}
	return state == "FATAL" || !inQuietHours(e.rules.QuietHours, e.now())
}

func (e *Engine) muted(group, program string) bool {
	for _, m := range e.rules.Mute {
		if m == program || m == group || m == group+":*" {
			return true
		}
	}
	return false
}

// trouble opens an alert keyed by what.Program, or updates the open one.
func (e *Engine) trouble(ctx context.Context, key string, what Alert) {
	now := e.now()
	e.mu.Lock()
	o := e.open[key]
	fresh := o == nil || now.Sub(o.alert.Last) > e.rules.FlapWindow
	if fresh {
		what.Host, what.First = e.host, now
		o = &open{alert: what, refs: map[string]string{}}
		e.open[key] = o
	}
	o.alert.State, o.alert.Last, o.alert.LogTail = what.State, now, what.LogTail
	o.alert.Count++
	a := o.alert
	refs := maps(o.refs)
	e.mu.Unlock()
	program := key

	if e.tail != nil && a.Kind == "program" {
		a.LogTail = e.tail(ctx, program)
	}
	for platform, n := range e.notifiersNow() {
		if ref, ok := refs[platform]; ok && !fresh {
			if err := n.UpdateAlert(ctx, ref, a); err != nil {
				e.log.Warn("could not update alert", "platform", platform, "program", program, "err", err)
			}
			continue
		}
		ref, err := n.PostAlert(ctx, a)
		if err != nil {
			e.log.Warn("could not post alert", "platform", platform, "program", program, "err", err)
			continue
		}
		e.mu.Lock()
		if cur := e.open[program]; cur != nil {
			cur.refs[platform] = ref
		}
		e.mu.Unlock()
	}
}

func (e *Engine) recover(ctx context.Context, program string) {
	e.mu.Lock()
	o := e.open[program]
	delete(e.open, program)
	e.mu.Unlock()
	if o == nil {
		return
	}
	a := o.alert
	a.Recovered, a.State, a.Last = true, "RUNNING", e.now()
	notifiers := e.notifiersNow()
	for platform, ref := range o.refs {
		if err := notifiers[platform].PostRecovery(ctx, ref, a); err != nil {
			e.log.Warn("could not post recovery", "platform", platform, "program", program, "err", err)
		}
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// inQuietHours reports whether t falls in a "HH:MM-HH:MM" window, which may
// wrap around midnight.
func inQuietHours(window string, t time.Time) bool {
	from, to, ok := ParseQuietHours(window)
	if !ok {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// ParseQuietHours reads "HH:MM-HH:MM" into minutes of the day.
func ParseQuietHours(window string) (from, to int, ok bool) {
	a, b, found := strings.Cut(window, "-")
	if !found {
		return 0, 0, false
	}
	ta, err1 := time.Parse("15:04", strings.TrimSpace(a))
	tb, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return ta.Hour()*60 + ta.Minute(), tb.Hour()*60 + tb.Minute(), true
}
