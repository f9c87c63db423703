package maintenance

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
)

// Hold is an alert.Notifier that holds back the alerts of a host while a
// maintenance window covers it, and posts one summary of them through
// the notifier it wraps once the window has ended. It sits around each
// chat platform's notifier, so it sees the alerts of this host and, on a
// fleet hub, those the agents relay, each with its host.
//
// An alert held during a window and still open after it is posted when it
// next changes; edits and recoveries of messages posted before the window
// go through, since they add no message to the channel.
type Hold struct {
	inner alert.Notifier
	store *Store
	log   *slog.Logger
	now   func() time.Time

	mu    sync.Mutex
	seq   int
	held  map[string]*heldAlerts // by host
	refs  map[string]*heldRef    // by the ref Hold returned
	alive map[string]string      // held ref -> the inner ref, once posted after its window
}

type heldAlerts struct {
	total  int
	counts map[string]int // "program STATE" -> troubles
	order  []string
}

type heldRef struct {
	host      string
	lastCount int
}

var _ alert.Notifier = (*Hold)(nil)

const heldPrefix = "held-in-maintenance:"

// NewHold wraps inner.
func NewHold(inner alert.Notifier, store *Store, log *slog.Logger) *Hold {
	return &Hold{inner: inner, store: store, log: log, now: time.Now,
		held: map[string]*heldAlerts{}, refs: map[string]*heldRef{}, alive: map[string]string{}}
}

// covered reports whether a window covers host now. When the windows
// cannot be read, the alert goes out: a lost alert is worse than one
// posted during maintenance.
func (h *Hold) covered(ctx context.Context, host string) bool {
	ws, err := h.store.Covering(ctx, host, h.now())
	if err != nil {
		h.log.Warn("maintenance: could not read the windows; alerts are posted", "err", err)
		return false
	}
	return len(ws) > 0
}

// muted reports whether a's program or pool is muted (/ops mute). The
// engine of a host asks the mutes itself; this is for a fleet hub, whose
// mutes the agents' engines do not see.
func (h *Hold) muted(ctx context.Context, a alert.Alert) bool {
	if a.Kind != alert.KindProgram && a.Kind != alert.KindPool {
		return false
	}
	group, _, _ := strings.Cut(a.Program, ":")
	ok, err := h.store.Muted(ctx, a.Host, []string{a.Program, group, group + ":*"}, h.now())
	if err != nil {
		h.log.Warn("maintenance: could not read the mutes; alerts are posted", "err", err)
	}
	return ok
}

// PostAlert implements alert.Notifier.
func (h *Hold) PostAlert(ctx context.Context, a alert.Alert) (string, error) {
	h.Check(ctx)
	muted := h.muted(ctx, a)
	if !muted && !h.covered(ctx, a.Host) {
		return h.inner.PostAlert(ctx, a)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ref := heldPrefix + strconv.Itoa(h.seq)
	h.refs[ref] = &heldRef{host: a.Host}
	if !muted {
		h.count(ref, a)
	}
	return ref, nil
}

// count adds a's new troubles to its host's held alerts; h.mu is held.
func (h *Hold) count(ref string, a alert.Alert) {
	r := h.refs[ref]
	n := max(a.Count-r.lastCount, 0)
	if r.lastCount == 0 {
		n = max(n, 1)
	}
	r.lastCount = max(a.Count, r.lastCount)
	if n == 0 {
		return
	}
	ha := h.held[r.host]
	if ha == nil {
		ha = &heldAlerts{counts: map[string]int{}}
		h.held[r.host] = ha
	}
	key := a.Program + " " + a.State
	if a.Kind == alert.KindHeld {
		key = "alerts held by the post limit"
	}
	if _, seen := ha.counts[key]; !seen {
		ha.order = append(ha.order, key)
	}
	ha.counts[key] += n
	ha.total += n
	h.log.Debug("maintenance: alert held", "host", r.host, "program", a.Program, "state", a.State)
}

// UpdateAlert implements alert.Notifier.
func (h *Hold) UpdateAlert(ctx context.Context, ref string, a alert.Alert) error {
	if !strings.HasPrefix(ref, heldPrefix) {
		return h.inner.UpdateAlert(ctx, ref, a)
	}
	h.mu.Lock()
	inner, posted := h.alive[ref]
	h.mu.Unlock()
	if posted {
		return h.inner.UpdateAlert(ctx, inner, a)
	}
	if h.muted(ctx, a) {
		return nil
	}
	if h.covered(ctx, a.Host) {
		h.mu.Lock()
		if h.refs[ref] != nil {
			h.count(ref, a)
		}
		h.mu.Unlock()
		return nil
	}
	// Held during a window that has ended, and still in trouble: post it.
	got, err := h.inner.PostAlert(ctx, a)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.alive[ref] = got
	h.mu.Unlock()
	return nil
}

// PostRecovery implements alert.Notifier. The recovery of an alert that
// was never posted is not posted either.
func (h *Hold) PostRecovery(ctx context.Context, ref string, a alert.Alert) error {
	if !strings.HasPrefix(ref, heldPrefix) {
		return h.inner.PostRecovery(ctx, ref, a)
	}
	h.mu.Lock()
	inner, posted := h.alive[ref]
	delete(h.alive, ref)
	delete(h.refs, ref)
	h.mu.Unlock()
	if posted {
		return h.inner.PostRecovery(ctx, inner, a)
	}
	return nil
}

// Check posts the summary of each host whose window has ended.
func (h *Hold) Check(ctx context.Context) {
	h.mu.Lock()
	hosts := make([]string, 0, len(h.held))
	for host := range h.held {
		hosts = append(hosts, host)
	}
	h.mu.Unlock()
	for _, host := range hosts {
		if h.covered(ctx, host) {
			continue
		}
		h.mu.Lock()
		ha := h.held[host]
		delete(h.held, host)
		h.mu.Unlock()
		if ha == nil {
			continue
		}
		if _, err := h.inner.PostAlert(ctx, Summary(host, ha.total, ha.order, ha.counts)); err != nil {
			h.log.Warn("maintenance: could not post the summary of the held alerts", "host", host, "err", err)
		}
	}
}

// Summary is the alert that sums up what a window held back on host.
func Summary(host string, total int, order []string, counts map[string]int) alert.Alert {
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	return alert.Alert{Kind: alert.KindMaintenance, Host: host, Count: total, State: strings.Join(parts, ", ")}
}
