package alert

import (
	"context"
	"time"
)

// incident is one program's (or pool's) trouble and its message on each
// platform. Only the steps on its key's queue touch it.
type incident struct {
	alert       Alert
	refs        map[string]string // platform -> message reference
	lastTrouble time.Time         // e.now() of the last trouble, for the flap window
	gen         int               // bumped by every trouble: a stable timer of an older one does nothing
	stable      *time.Timer       // runs while the program is RUNNING
	pushed      time.Time         // when the messages were last posted or edited (monotonic)
	flush       *time.Timer       // a deferred edit
	closed      bool              // closing: show the end where posted, post nothing new
}

func (e *Engine) incident(key string) *incident {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.incidents[key]
}

func (e *Engine) setIncident(key string, inc *incident) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if inc == nil {
		delete(e.incidents, key)
		return
	}
	e.incidents[key] = inc
}

func (inc *incident) stopTimers() {
	if inc.stable != nil {
		inc.stable.Stop()
		inc.stable = nil
	}
	if inc.flush != nil {
		inc.flush.Stop()
		inc.flush = nil
	}
}

// trouble opens an incident for key, or counts one more trouble in the
// open one. A trouble later than the flap window after the last one opens
// a new incident: the old message is long out of sight.
func (e *Engine) trouble(ctx context.Context, key string, what Alert, now time.Time) {
	inc := e.incident(key)
	if inc != nil && now.Sub(inc.lastTrouble) > e.rules.FlapWindow {
		inc.stopTimers()
		inc = nil
	}
	fresh := inc == nil
	if fresh {
		what.Host, what.First = e.host, now
		inc = &incident{alert: what, refs: map[string]string{}}
		e.setIncident(key, inc)
	}
	inc.alert.State, inc.alert.Last, inc.lastTrouble = what.State, now, now
	inc.alert.Count++
	inc.gen++
	if inc.stable != nil {
		inc.stable.Stop()
		inc.stable = nil
	}
	if fresh {
		e.push(ctx, key, inc)
		return
	}
	e.changed(ctx, key, inc)
}

// calm notes that key is RUNNING (a pool free of trouble) again, shown as
// state: once it stays so for StableAfter, the incident closes as
// recovered.
func (e *Engine) calm(ctx context.Context, key, state string) {
	inc := e.incident(key)
	if inc == nil {
		return
	}
	if inc.alert.State != state {
		inc.alert.State = state
		e.changed(ctx, key, inc)
	}
	if inc.stable != nil {
		return
	}
	gen := inc.gen
	inc.stable = e.after(e.rules.StableAfter, key, func() {
		if cur := e.incident(key); cur == inc && inc.gen == gen && inc.stable != nil {
			e.close(ctx, key, "RUNNING", true)
		}
	})
}

// note shows a state that is neither trouble nor RUNNING (STARTING,
// STOPPING, an expected EXITED) in the open incident; the program is not
// stable while in it.
func (e *Engine) note(ctx context.Context, key, state string) {
	inc := e.incident(key)
	if inc == nil {
		return
	}
	if inc.stable != nil {
		inc.stable.Stop()
		inc.stable = nil
	}
	if inc.alert.State != state {
		inc.alert.State = state
		e.changed(ctx, key, inc)
	}
}

// close ends key's incident in state: its message shows that state at
// once, and a recovery is answered in the message's thread.
func (e *Engine) close(ctx context.Context, key, state string, recovered bool) {
	inc := e.incident(key)
	if inc == nil {
		return
	}
	inc.stopTimers()
	e.setIncident(key, nil)
	inc.closed = true
	inc.alert.State, inc.alert.Recovered, inc.alert.Last = state, recovered, e.now()
	e.push(ctx, key, inc)
	if !recovered {
		return
	}
	for platform, n := range e.notifiersNow() {
		ref, ok := inc.refs[platform]
		if !ok {
			continue // held back: the summary says it recovered
		}
		if !e.limit.allow(platform) {
			e.limit.hold(platform, key+" recovered", inc.alert)
			continue
		}
		if err := n.PostRecovery(ctx, ref, inc.alert); err != nil {
			e.log.Warn("could not post recovery", "platform", platform, "program", key, "err", err)
		}
	}
}

// changed shows the incident's new state: now, or, when its message was
// edited less than UpdateEvery ago, once that much time has passed. The
// deferred edit shows whatever the state is then, so the last state is
// always shown and a flapping program costs one edit per UpdateEvery.
func (e *Engine) changed(ctx context.Context, key string, inc *incident) {
	if inc.flush != nil {
		return
	}
	wait := e.rules.UpdateEvery - time.Since(inc.pushed)
	if wait <= 0 {
		e.push(ctx, key, inc)
		return
	}
	inc.flush = e.after(wait, key, func() {
		if inc.flush == nil || e.incident(key) != inc {
			return
		}
		inc.flush = nil
		e.push(ctx, key, inc)
	})
}

// push posts the incident where it has no message yet (within the post
// limit) and edits it where it has one.
func (e *Engine) push(ctx context.Context, key string, inc *incident) {
	a := inc.alert
	if e.tail != nil && a.Kind == KindProgram && !a.Recovered {
		a.LogTail = e.tail(ctx, a.Program)
	}
	inc.pushed = time.Now()
	for platform, n := range e.notifiersNow() {
		if ref, ok := inc.refs[platform]; ok {
			if err := n.UpdateAlert(ctx, ref, a); err != nil {
				e.log.Warn("could not update alert", "platform", platform, "program", key, "err", err)
			}
			continue
		}
		if inc.closed {
			e.limit.refresh(platform, key, a)
			continue // never posted: nothing to close
		}
		if !e.limit.allow(platform) {
			e.limit.hold(platform, key, a)
			continue
		}
		e.limit.unhold(platform, key)
		ref, err := n.PostAlert(ctx, a)
		if err != nil {
			e.log.Warn("could not post alert", "platform", platform, "program", key, "err", err)
			continue
		}
		inc.refs[platform] = ref
	}
}
