package supervisor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
)

// The live state lets reads (status, show, logs) be answered without asking
// supervisord each time. It is always a snapshot supervisord gave
// (getAllProcessInfo, a reconciliation), never a state pieced together
// from events: an event does not carry what status shows (a stop time to
// the minute, the exact start, an exit status, a spawn error), so an answer
// built from events would differ from supervisord's. Events instead say
// when the snapshot stopped being true, and a reconciliation follows at
// once. The snapshot answers only while it is known to be current:
//
//   - an event listener is connected to serve's event socket, and the
//     snapshot was taken after it connected (what happened while nobody
//     listened, or while the listener restarted, is in the snapshot);
//   - no event arrived since the snapshot was asked for: any event is a
//     change the snapshot may lack;
//   - no event was lost: supervisord numbers each listener pool's events
//     one by one (poolserial), and a full buffer discards numbered events,
//     so the event socket reports a skipped number (Resync);
//   - this backend made no XML-RPC call but known reads since (a start,
//     a stop, addProcessGroup, reloadConfig...): a read right after a
//     write shows it before the write's events arrive, and groups come
//     and go without a process state event. Groups added or removed
//     outside poolvisor (supervisorctl update) send PROCESS_GROUP_ADDED
//     or _REMOVED, which the listener takes too;
//   - the snapshot is younger than liveMaxAge: a backstop, bounding how
//     long anything the above miss could go unseen.
//
// When any of these fails, reads ask supervisord as before (one call shared
// by the reads in flight) and a reconciliation is asked for at once. Only
// the snapshot's time-dependent parts are brought up to the read's time:
// now, and the uptime in a RUNNING process's description, computed as
// supervisord computes it.

// liveMaxAge is how old a snapshot may be for reads to use it; serve
// reconciles every liveMaxAge/2.
const liveMaxAge = 60 * time.Second

// reconcileSpacing is the least time between two reconciliations that
// events ask for, so a program flapping in a loop cannot keep supervisord
// busy answering getAllProcessInfo.
const reconcileSpacing = 50 * time.Millisecond

// live is the snapshot and what is known of it.
type live struct {
	mu    sync.Mutex
	procs []ProcessInfo
	at    time.Time // when the snapshot was asked for
	skew  int64     // supervisord's now minus ours at the snapshot, in seconds
	// epoch counts what made earlier snapshots untrue (events, group
	// changes, connections, gaps); a snapshot is current only if no epoch
	// passed while it was taken.
	epoch     uint64
	current   bool
	listeners int // event listener connections open

	recon sync.Mutex    // one reconciliation at a time
	kick  chan struct{} // asks RunReconcile for one now; made by New
}

// invalidate records that the snapshot may no longer be true, and asks for
// a reconciliation.
func (b *Backend) invalidate() {
	b.live.mu.Lock()
	b.live.epoch++
	b.live.current = false
	b.live.mu.Unlock()
	select {
	case b.live.kick <- struct{}{}:
	default: // one is asked for already
	}
}

// Reconcile replaces the snapshot with supervisord's full process list. It
// is current when nothing made it untrue while it was taken and an event
// listener is connected.
func (b *Backend) Reconcile(ctx context.Context) error {
	b.live.recon.Lock()
	defer b.live.recon.Unlock()
	b.live.mu.Lock()
	epoch, asked := b.live.epoch, time.Now()
	b.live.mu.Unlock()
	procs, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return err
	}
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	b.live.procs, b.live.at = procs, asked
	b.live.skew = 0
	if len(procs) > 0 {
		b.live.skew = procs[0].Now - asked.Unix()
	}
	was := b.live.current
	b.live.current = b.live.epoch == epoch && b.live.listeners > 0
	if b.live.current && !was {
		b.log.Debug("live state current: reads are answered from it", "processes", len(procs))
	}
	return nil
}

// RunReconcile reconciles every liveMaxAge/2, and whenever the snapshot
// stopped being current, until ctx ends.
func (b *Backend) RunReconcile(ctx context.Context) {
	t := time.NewTicker(liveMaxAge / 2)
	defer t.Stop()
	for {
		if err := b.Reconcile(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("reconcile with supervisord failed", "err", err)
		}
		spacing := time.NewTimer(reconcileSpacing)
		select {
		case <-ctx.Done():
			spacing.Stop()
			return
		case <-spacing.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.live.kick:
		}
	}
}

// Observe takes one event from the listener: the snapshot may lack what
// it says.
func (b *Backend) Observe(events.Event) { b.invalidate() }

// Resync takes the event socket's word that events were lost.
func (b *Backend) Resync(reason string) {
	b.log.Info("supervisor events were lost: reconciling", "why", reason)
	b.invalidate()
}

// ListenerConnected counts the event listener's connections to serve
// (open, then closed): the snapshot is current only while one is open,
// and only if taken after the latest opened.
func (b *Backend) ListenerConnected(open bool) {
	b.live.mu.Lock()
	if open {
		b.live.listeners++
	} else if b.live.listeners > 0 {
		b.live.listeners--
	}
	b.live.mu.Unlock()
	b.invalidate()
}

// LiveCurrent reports whether reads are answered from the live state now.
func (b *Backend) LiveCurrent() bool {
	_, ok := b.liveProcesses()
	return ok
}

// liveProcesses returns the snapshot, brought to the present, when it is
// known to be current.
func (b *Backend) liveProcesses() ([]ProcessInfo, bool) {
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	if !b.live.current || b.live.listeners == 0 || time.Since(b.live.at) > liveMaxAge {
		return nil, false
	}
	now := time.Now().Unix() + b.live.skew
	out := make([]ProcessInfo, len(b.live.procs))
	for i, p := range b.live.procs {
		p.Now = now
		if p.StateName == "RUNNING" {
			p.Description = runningDescription(p)
		}
		out[i] = p
	}
	return out, true
}

// runningDescription is supervisord's description of a RUNNING process
// ("pid 42, uptime 1 day, 2:03:04"): the uptime as Python prints a
// timedelta, never negative.
func runningDescription(p ProcessInfo) string {
	up := max(p.Now-p.Start, 0)
	days, rest := up/86400, up%86400
	clock := fmt.Sprintf("%d:%02d:%02d", rest/3600, rest%3600/60, rest%60)
	switch days {
	case 0:
	case 1:
		clock = "1 day, " + clock
	default:
		clock = fmt.Sprintf("%d days, %s", days, clock)
	}
	return fmt.Sprintf("pid %d, uptime %s", p.PID, clock)
}
