package alert

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// maxHeldNames bounds how many held-back alerts a summary names one by one.
const maxHeldNames = 20

// limiter allows each platform (one notify channel) MaxPosts new messages
// in any PostWindow. What it holds back is summed up in one message as
// soon as the window allows one more; an edit of a message already posted
// is never held back.
type limiter struct {
	e *Engine

	mu   sync.Mutex
	sent map[string][]time.Time // platform -> times of its posts within the window
	held map[string]*heldBack   // platform -> what waits for the summary
}

type heldBack struct {
	order  []string
	alerts map[string]Alert
	timer  *time.Timer
}

func newLimiter(e *Engine) *limiter {
	return &limiter{e: e, sent: map[string][]time.Time{}, held: map[string]*heldBack{}}
}

// allow reports whether platform may post now, and counts the post if so.
func (l *limiter) allow(platform string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.prune(platform, now)
	if len(l.sent[platform]) >= l.e.rules.MaxPosts {
		return false
	}
	l.sent[platform] = append(l.sent[platform], now)
	return true
}

func (l *limiter) prune(platform string, now time.Time) {
	times := l.sent[platform]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= l.e.rules.PostWindow {
		i++
	}
	l.sent[platform] = times[i:]
}

// hold keeps a, under key, for platform's next summary.
func (l *limiter) hold(platform, key string, a Alert) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.held[platform]
	if h == nil {
		h = &heldBack{alerts: map[string]Alert{}}
		l.held[platform] = h
	}
	if _, ok := h.alerts[key]; !ok {
		h.order = append(h.order, key)
	}
	h.alerts[key] = a
	if h.timer == nil {
		h.timer = l.e.after(l.untilFree(platform), "\x00held:"+platform, func() { l.summarize(context.Background(), platform) })
	}
}

// refresh updates a held alert of key with its latest state, if held.
func (l *limiter) refresh(platform, key string, a Alert) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.held[platform]; h != nil {
		if _, ok := h.alerts[key]; ok {
			h.alerts[key] = a
		}
	}
}

// unhold forgets key's held alert: it is about to get its own message.
func (l *limiter) unhold(platform, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.held[platform]; h != nil {
		if _, ok := h.alerts[key]; ok {
			delete(h.alerts, key)
			for i, k := range h.order {
				if k == key {
					h.order = append(h.order[:i], h.order[i+1:]...)
					break
				}
			}
		}
	}
}

// untilFree is how long until platform may post again.
func (l *limiter) untilFree(platform string) time.Duration {
	times := l.sent[platform]
	if len(times) < l.e.rules.MaxPosts || len(times) == 0 {
		return 0
	}
	return max(0, l.e.rules.PostWindow-time.Since(times[0])) + time.Millisecond
}

// summarize posts one message for everything platform held back.
func (l *limiter) summarize(ctx context.Context, platform string) {
	l.mu.Lock()
	h := l.held[platform]
	if h == nil {
		l.mu.Unlock()
		return
	}
	h.timer = nil
	if len(h.order) == 0 {
		delete(l.held, platform)
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	if !l.allow(platform) {
		l.mu.Lock()
		h.timer = l.e.after(l.untilFree(platform), "\x00held:"+platform, func() { l.summarize(ctx, platform) })
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	delete(l.held, platform)
	l.mu.Unlock()
	n := l.e.notifiersNow()[platform]
	if n == nil {
		return
	}
	if _, err := n.PostAlert(ctx, heldSummary(l.e.host, h)); err != nil {
		l.e.log.Warn("could not post the summary of held-back alerts", "platform", platform, "held", len(h.order), "err", err)
	}
}

// heldSummary lists what h held back, each with its latest state.
func heldSummary(host string, h *heldBack) Alert {
	var parts []string
	for i, key := range h.order {
		if i == maxHeldNames {
			parts = append(parts, fmt.Sprintf("and %d more", len(h.order)-i))
			break
		}
		a := h.alerts[key]
		what := a.State
		if a.Recovered {
			what = "recovered"
		}
		if a.Count > 1 {
			what += fmt.Sprintf(", %d times", a.Count)
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", a.Program, what))
	}
	return Alert{Kind: KindHeld, Host: host, Count: len(h.order), State: strings.Join(parts, "; "),
		First: time.Now(), Last: time.Now()}
}
