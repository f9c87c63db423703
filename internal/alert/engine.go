package alert

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Engine decides and posts alerts.
//
// Everything about one incident (a program or a pool) runs on that key's
// queue, one step after the other: events in the order they came, and the
// timers that close an incident or flush a deferred edit. A goroutine per
// event would let a slow post of BACKOFF finish after the FATAL that came
// later, and leave the message on a state the program has left.
type Engine struct {
	host  string
	rules Rules
	tail  func(ctx context.Context, program string) string
	log   *slog.Logger
	now   func() time.Time
	limit *limiter

	mu        sync.Mutex
	notifiers map[string]Notifier // by platform
	incidents map[string]*incident
	queues    map[string][]func() // pending steps by key; present while its worker runs
}

// New returns an Engine; tail fetches a program's last log lines (may be nil).
func New(host string, rules Rules, notifiers map[string]Notifier, tail func(context.Context, string) string, log *slog.Logger) *Engine {
	if notifiers == nil {
		notifiers = map[string]Notifier{}
	}
	e := &Engine{host: host, rules: rules.withDefaults(), notifiers: notifiers, tail: tail, log: log, now: time.Now,
		incidents: map[string]*incident{}, queues: map[string][]func(){}}
	e.limit = newLimiter(e)
	return e
}

// AddNotifier sends alerts to one more platform.
func (e *Engine) AddNotifier(platform string, n Notifier) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notifiers[platform] = n
}

// Open counts the incidents that are open (not recovered yet).
func (e *Engine) Open() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.incidents)
}

// Idle reports whether no step is queued or running, for tests and shutdown.
func (e *Engine) Idle() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.queues) == 0
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

// enqueue runs step after every step queued for key before it. Different
// keys run side by side.
func (e *Engine) enqueue(key string, step func()) {
	e.mu.Lock()
	q, running := e.queues[key]
	e.queues[key] = append(q, step)
	e.mu.Unlock()
	if running {
		return
	}
	go func() {
		for {
			e.mu.Lock()
			q := e.queues[key]
			if len(q) == 0 {
				delete(e.queues, key)
				e.mu.Unlock()
				return
			}
			next := q[0]
			e.queues[key] = q[1:]
			e.mu.Unlock()
			next()
		}
	}()
}

// after runs step on key's queue once d has passed.
func (e *Engine) after(d time.Duration, key string, step func()) *time.Timer {
	return time.AfterFunc(d, func() { e.enqueue(key, step) })
}

// Handle queues one event; it returns at once. The event posts, updates
// or closes its program's incident in the order events were handled.
func (e *Engine) Handle(ctx context.Context, ev events.Event) {
	program := ev.Group + ":" + ev.Process
	if ev.Group == ev.Process {
		program = ev.Process
	}
	if e.muted(ev.Group, program) {
		e.log.Debug("alert muted", "program", program, "state", ev.State())
		return
	}
	state, now := ev.State(), e.now()
	trouble := e.alerts(ev, state)
	e.enqueue(program, func() {
		switch {
		case trouble:
			e.trouble(ctx, program, Alert{Kind: KindProgram, Program: program, State: state,
				Action: restartAction(program), ActionLabel: "Restart"}, now)
		case state == "RUNNING":
			e.calm(ctx, program, "RUNNING")
		case state == "STOPPED":
			e.close(ctx, program, "STOPPED", false)
		case state != "":
			e.note(ctx, program, state)
		}
	})
}

// Raise opens or updates the incident key with a, like a trouble event;
// Resolve closes it as recovered at once. They are for troubles that are
// not process events, like poolvisor's own event listener going away.
func (e *Engine) Raise(ctx context.Context, key string, a Alert) {
	now := e.now()
	e.enqueue(key, func() { e.trouble(ctx, key, a, now) })
}

// Resolve closes the incident key, if open, as recovered.
func (e *Engine) Resolve(ctx context.Context, key string) {
	e.enqueue(key, func() { e.close(ctx, key, "RUNNING", true) })
}

// Clear closes the incident key, if open, showing state, without a
// recovery: the trouble went away with what had it.
func (e *Engine) Clear(ctx context.Context, key, state string) {
	e.enqueue(key, func() { e.close(ctx, key, state, false) })
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
	return e.rules.Mutes != nil && e.rules.Mutes.Muted([]string{program, group, group + ":*"}, e.now())
}

// restartAction is the command of a program alert's button: a name the
// command grammar reads back as one program. Names supervisord accepts
// but the grammar does not (spaces, markup) get no button rather than
// one that answers "not a program".
func restartAction(program string) string {
	group, name, grouped := strings.Cut(program, ":")
	if !ops.ValidName(group) || (grouped && !ops.ValidName(name)) {
		return ""
	}
	return "supervisor restart " + program
}
