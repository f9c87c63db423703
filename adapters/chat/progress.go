package chat

import (
	"context"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ProgressGap is the least time between two updates of one progress
// message. Slack allows about one chat.update a second per channel
// (https://docs.slack.dev/apis/web-api/rate-limits) and Discord five
// message edits every five seconds per channel
// (https://discord.com/developers/docs/topics/rate-limits); a roll's
// batches take seconds each, so one a second loses nothing a reader needs.
const ProgressGap = time.Second

// Progress turns the reports of a run into updates of one message, within
// a platform's rate limits: at most one update is in flight, a report that
// arrives while one is sent waits for it and is replaced by any newer one
// (only the newest is worth showing), and updates are at least a gap apart.
// Its Watch is the run's ops.Watcher: it only records the report, so the
// run never waits on the platform. Finish sends what the run ended with
// (the result, which supersedes any report still waiting), so the final
// state is never dropped.
//
// send is called on one goroutine at a time, in order, so it may keep the
// message it posted first without a lock.
type Progress struct {
	base context.Context
	gap  time.Duration
	send func(context.Context, ops.Progress)

	mu       sync.Mutex
	pending  *ops.Progress
	busy     bool      // the sender goroutine runs
	last     time.Time // when the last update was sent
	watched  bool
	finished bool
	idle     *sync.Cond
	stop     chan struct{} // closed by Finish
}

// NewProgress returns a Progress whose updates call send with a context
// under base, at least gap apart.
func NewProgress(base context.Context, gap time.Duration, send func(context.Context, ops.Progress)) *Progress {
	u := &Progress{base: base, gap: gap, send: send, stop: make(chan struct{})}
	u.idle = sync.NewCond(&u.mu)
	return u
}

// Watch records p as the newest report and starts sending it if nothing
// is being sent. It returns at once. Reports after Finish are ignored.
func (u *Progress) Watch(p ops.Progress) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.finished {
		return
	}
	u.watched, u.pending = true, &p
	if !u.busy {
		u.busy = true
		go u.loop()
	}
}

// Watched reports whether the run reported any progress: whether it is one
// that goes in steps.
func (u *Progress) Watched() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.watched
}

// Stopped is closed once Finish is called: a send that waits for something
// (the platform's first answer) gives up on it.
func (u *Progress) Stopped() <-chan struct{} { return u.stop }

func (u *Progress) loop() {
	for {
		u.mu.Lock()
		p := u.pending
		if p == nil || u.finished {
			u.busy = false
			u.idle.Broadcast()
			u.mu.Unlock()
			return
		}
		if wait := u.gap - time.Since(u.last); !u.last.IsZero() && wait > 0 {
			u.mu.Unlock()
			u.sleep(wait) // then look again: finished meanwhile, or a newer report
			continue
		}
		u.pending, u.last = nil, time.Now()
		u.mu.Unlock()
		u.send(u.base, *p)
	}
}

// sleep waits d, or less when Finish is called or the base context ends
// (then what waits is dropped: nothing more can be sent).
func (u *Progress) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-u.stop:
	case <-u.base.Done():
		u.mu.Lock()
		u.pending = nil
		u.mu.Unlock()
	}
}

// Finish drops the reports not yet sent, waits for the update in flight
// and the gap after it, then calls final (the run's result, drawn in the
// same message) with ctx. The send function knows whether a message was
// posted to draw the result in; final is called either way.
func (u *Progress) Finish(ctx context.Context, final func(ctx context.Context)) {
	u.mu.Lock()
	if !u.finished {
		u.finished = true
		close(u.stop)
	}
	u.pending = nil
	for u.busy {
		u.idle.Wait()
	}
	last := u.last
	u.mu.Unlock()
	if wait := u.gap - time.Since(last); !last.IsZero() && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	final(ctx)
}
