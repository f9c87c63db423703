// Package alert turns supervisord's process events into alerts for the chat
// channels. One incident is one message: a program that goes FATAL, backs
// off or exits unexpectedly is posted once with its last log lines and a
// Restart button; while it keeps flapping that message is edited in place
// (count, current state), and only once the program has stayed RUNNING for
// a while is the incident closed and its recovery answered in the thread.
// The events of one program are handled one after the other, in the order
// supervisord sent them, and new posts per channel are rate-limited, with
// one summary of what was held back.
package alert

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Kinds of alerts.
const (
	KindProgram = "program"
	KindPool    = "pool"
	// KindHeld is the summary of the alerts held back by the post limit;
	// its State lists them and Count says how many there were.
	KindHeld = "held"
	// KindListener is poolvisor's own event listener not running: no
	// other alert can come while it lasts.
	KindListener = "listener"
	// KindNotice is a message for the notify channel that is no trouble
	// (a break-glass session, a grant about to end): its State is the text.
	KindNotice = "notice"
	// KindMaintenance sums up the alerts a maintenance window held back
	// (internal/maintenance): State lists them, Count says how many.
	KindMaintenance = "maintenance"
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
	// Pool is what a pool's saturation alert says to do (KindPool only;
	// nil when nothing was found out).
	Pool *PoolDetail `json:"pool,omitempty"`
}

// Summary is a one-line text form of a.
func (a Alert) Summary() string {
	switch {
	case a.Kind == KindNotice:
		return a.State
	case a.Kind == KindHeld:
		return fmt.Sprintf("%d more alert(s) on %s were held back to keep this channel readable: %s.", a.Count, a.Host, a.State)
	case a.Kind == KindMaintenance:
		return fmt.Sprintf("Maintenance on %s ended: held %d alert(s) during the window: %s.", a.Host, a.Count, a.State)
	case a.Kind == KindListener && a.Recovered:
		return fmt.Sprintf("poolvisor's event listener (%s) on %s runs again: alerts are posted again.", a.Program, a.Host)
	case a.Kind == KindListener:
		return fmt.Sprintf("poolvisor's event listener (%s) on %s is %s: no alerts are posted until it runs again. "+
			"Only /supervisor events enable or disable may change it.", a.Program, a.Host, a.State)
	}
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
	if a.State == "RUNNING" {
		s += " again, not stable yet"
	}
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

// Muter says whether any of names (a program, its group, GROUP:* or a
// pool) is muted at t.
type Muter interface {
	Muted(names []string, t time.Time) bool
}

// Rules say which events alert and how often.
type Rules struct {
	States     []string      // states that alert, like FATAL and BACKOFF
	Unexpected bool          // an EXITED that supervisord calls unexpected alerts
	FlapWindow time.Duration // a trouble later than this after the last one opens a new incident
	Mute       []string      // programs never alerted: NAME or GROUP:*
	QuietHours string        // "HH:MM-HH:MM" local time: only FATAL alerts then; "" for none
	// Mutes are the mutes with an end (/ops mute), asked with the current
	// time at each event; nil: none.
	Mutes Muter
	// StableAfter is how long a program must stay RUNNING (a pool free of
	// trouble) before its incident is closed as recovered.
	StableAfter time.Duration
	// UpdateEvery is the shortest time between two edits of one message;
	// the last state is always shown, at most this late.
	UpdateEvery time.Duration
	// MaxPosts new messages per PostWindow per platform; the rest are held
	// back and summed up in one message when the window allows.
	MaxPosts   int
	PostWindow time.Duration
}

// Defaults for the rules a config leaves at zero.
const (
	DefaultStableAfter = 2 * time.Minute
	DefaultUpdateEvery = 5 * time.Second
	DefaultMaxPosts    = 10
	DefaultPostWindow  = time.Minute
	// DefaultPoolInterval is how often serve reads the pools' status
	// pages for saturation alerts.
	DefaultPoolInterval = 30 * time.Second
)

func (r Rules) withDefaults() Rules {
	if r.FlapWindow <= 0 {
		r.FlapWindow = 10 * time.Minute
	}
	if r.StableAfter <= 0 {
		r.StableAfter = DefaultStableAfter
	}
	if r.UpdateEvery <= 0 {
		r.UpdateEvery = DefaultUpdateEvery
	}
	if r.MaxPosts <= 0 {
		r.MaxPosts = DefaultMaxPosts
	}
	if r.PostWindow <= 0 {
		r.PostWindow = DefaultPostWindow
	}
	return r
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
