package maintenance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
// fleet hub, those the agents relay, each with its host. What it holds is
// counted in the database (held.go), so the summary survives a restart.
//
// An alert of a muted program or pool (/ops mute) during a window is
// counted too, as muted: the summary says what the window and the mutes
// kept from the channel together, so a mute cannot hide a crash from it.
//
// An alert held during a window and still open after it is posted when it
// next changes; edits and recoveries of messages posted before the window
// go through, since they add no message to the channel.
type Hold struct {
	sink  string
	inner alert.Notifier
	store *Store
	log   *slog.Logger
	now   func() time.Time
	// prefix makes the refs of this Hold differ from those an earlier
	// serve handed out.
	prefix string

	mu    sync.Mutex
	seq   int
	refs  map[string]*heldRef // by the ref Hold returned
	alive map[string]string   // held ref -> the inner ref, once posted after its window
}

type heldRef struct {
	host      string
	lastCount int
}

var _ alert.Notifier = (*Hold)(nil)

const heldPrefix = "held-in-maintenance:"

// NewHold wraps inner, the notifier of sink (a chat platform's name),
// whose held alerts it keeps in store under that name.
func NewHold(sink string, inner alert.Notifier, store *Store, log *slog.Logger) *Hold {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Hold{sink: sink, inner: inner, store: store, log: log, now: time.Now, prefix: heldPrefix + hex.EncodeToString(b) + ":",
		refs: map[string]*heldRef{}, alive: map[string]string{}}
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
	covered := h.covered(ctx, a.Host)
	if !muted && !covered {
		return h.inner.PostAlert(ctx, a)
	}
	h.mu.Lock()
	h.seq++
	ref := h.prefix + strconv.Itoa(h.seq)
	h.refs[ref] = &heldRef{host: a.Host}
	h.mu.Unlock()
	if covered {
		h.count(ctx, ref, a, muted)
	}
	return ref, nil
}

// count adds a's new troubles to its host's held alerts.
func (h *Hold) count(ctx context.Context, ref string, a alert.Alert, muted bool) {
	h.mu.Lock()
	r := h.refs[ref]
	if r == nil {
		h.mu.Unlock()
		return
	}
	n := max(a.Count-r.lastCount, 0)
	if r.lastCount == 0 {
		n = max(n, 1)
	}
	r.lastCount = max(a.Count, r.lastCount)
	host := r.host
	h.mu.Unlock()
	if n == 0 {
		return
	}
	key := a.Program + " " + a.State
	if a.Kind == alert.KindHeld {
		key = "alerts held by the post limit"
	}
	if err := h.store.addHeld(ctx, h.sink, host, Held{Key: key, Muted: muted, Count: n}); err != nil {
		h.log.Error("maintenance: a held alert is missing from the summary", "host", host, "program", a.Program, "err", err)
		return
	}
	h.log.Debug("maintenance: alert held", "host", host, "program", a.Program, "state", a.State, "muted", muted)
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
	muted := h.muted(ctx, a)
	if h.covered(ctx, a.Host) {
		h.count(ctx, ref, a, muted)
		return nil
	}
	if muted {
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

// Check posts the summary of each host whose window has ended, from the
// counts in the database: those of an earlier serve too.
func (h *Hold) Check(ctx context.Context) {
	hosts, err := h.store.heldHosts(ctx, h.sink)
	if err != nil {
		h.log.Warn("maintenance: could not read the held alerts", "err", err)
		return
	}
	for _, host := range hosts {
		if h.covered(ctx, host) {
			continue
		}
		held, err := h.store.takeHeld(ctx, h.sink, host)
		if err != nil {
			h.log.Warn("maintenance: could not read the held alerts", "host", host, "err", err)
			continue
		}
		if len(held) == 0 {
			continue
		}
		if _, err := h.inner.PostAlert(ctx, Summary(host, held)); err != nil {
			h.log.Warn("maintenance: could not post the summary of the held alerts", "host", host, "err", err)
		}
	}
}

// Summary is the alert that sums up what a window held back on host: the
// alerts it held, then those a mute silenced meanwhile.
func Summary(host string, held []Held) alert.Alert {
	var plain, muted []string
	total := 0
	for _, c := range held {
		part := fmt.Sprintf("%s ×%d", c.Key, c.Count)
		if c.Muted {
			muted = append(muted, part)
		} else {
			plain = append(plain, part)
		}
		total += c.Count
	}
	state := strings.Join(plain, ", ")
	if len(muted) > 0 {
		if state != "" {
			state += "; "
		}
		state += "muted (/ops mute): " + strings.Join(muted, ", ")
	}
	return alert.Alert{Kind: alert.KindMaintenance, Host: host, Count: total, State: state}
}
