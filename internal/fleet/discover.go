package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Discovery and presence at a thousand hosts. The answers to a discovery
// arrive all at once; the hub's subscription only keeps them (verifying an
// Ed25519 signature and writing SQLite per answer is what made nats.go drop
// a third of them as a slow consumer), and the hub checks them after the
// window and writes the register in one transaction. What still goes
// wrong heals: agents announce themselves every heartbeat (jittered, so a
// thousand do not all announce in the same instant), and a message the
// client drops is logged, counted (HubConfig.Dropped) and answered with a
// new discovery.
//
// Why not a JetStream KV bucket of hosts: it would make JetStream (a
// stream, its storage and its replicas) a requirement of every fleet,
// for a state that is soft by nature. Presence is what an agent says now,
// signed by its own key; a KV entry is what some agent last wrote, and the
// hub would still have to check the signature and the age of each entry,
// and still ask the agents that are there. Scatter-gather answers "who is
// here now", announcements keep it current, and the register remembers
// who was; the failure the KV would have fixed was the hub's slow
// handling of the answers, which this fixes at its cause.

// Pending limits of the hub's subscriptions to what agents send: room for
// every agent of a large fleet to answer at once, several times over.
const (
	pendingMsgs  = 1 << 18
	pendingBytes = 256 << 20
)

// discoverQuiet is how long discovery waits after the last answer.
const discoverQuiet = 150 * time.Millisecond

// rediscoverAfter spaces the discoveries that dropped messages ask for.
const rediscoverAfter = 2 * time.Second

// flushEvery is how often the hosts heard from are written to the register.
const flushEvery = 5 * time.Second

// answers holds a discovery's answers: kept as they arrive while the
// window is open, taken one by one after it (late answers).
type answers struct {
	mu      sync.Mutex
	open    bool
	pending []*nats.Msg
	arrived chan struct{}
}

// discover asks every agent to announce itself, and waits for the answers
// until none came for discoverQuiet (or the request timeout passed); then
// it checks them and writes the register. The answers' inbox stays
// subscribed until Stop: an agent that answers later (a busy host, a slow
// link) is still heard, not dropped until its next heartbeat.
func (h *Hub) discover(ctx context.Context) {
	inbox := h.nc.NewRespInbox()
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	want := hex.EncodeToString(nonce)
	got := &answers{open: true, arrived: make(chan struct{}, 1)}
	sub, err := h.nc.Subscribe(inbox, func(m *nats.Msg) {
		got.mu.Lock()
		if got.open {
			got.pending = append(got.pending, m)
			got.mu.Unlock()
			select {
			case got.arrived <- struct{}{}:
			default:
			}
			return
		}
		got.mu.Unlock()
		h.takeDiscovered(m, want)
	})
	if err == nil {
		err = sub.SetPendingLimits(pendingMsgs, pendingBytes)
	}
	if err != nil {
		h.cfg.Log.Warn("fleet hub: discovery failed", "err", err)
		return
	}
	h.mu.Lock()
	h.subs = append(h.subs, sub)
	h.mu.Unlock()
	q, _ := json.Marshal(discoverQuestion{Nonce: want})
	if err := h.nc.PublishRequest(discoverSubj, inbox, q); err != nil {
		h.cfg.Log.Warn("fleet hub: discovery failed", "err", err)
		return
	}
	h.wait(ctx, got.arrived, func() int {
		got.mu.Lock()
		defer got.mu.Unlock()
		return len(got.pending)
	})
	got.mu.Lock()
	taken := got.pending
	got.pending, got.open = nil, false
	got.mu.Unlock()
	for _, m := range taken {
		h.takeDiscovered(m, want)
	}
	h.flushRegister(ctx)
}

// wait returns when every host with a pinned key answered (answered
// counts them, forged or repeated answers too: those only end the wait
// early), when no answer arrived for discoverQuiet after the first, when
// the request timeout passed or ctx ended. Before the first answer it
// waits up to the timeout when there are hosts to hear from: a busy hub
// or a thousand agents may take more than a few quiet periods to answer
// at all, and an answer after the window is taken but not waited for.
func (h *Hub) wait(ctx context.Context, arrived <-chan struct{}, answered func() int) {
	limit := time.NewTimer(h.cfg.Timeout)
	defer limit.Stop()
	first := discoverQuiet * 3 // a hub without pinned hosts: the old wait
	if len(h.cfg.AgentKeys) > 0 {
		first = h.cfg.Timeout
	}
	quiet := time.NewTimer(first)
	defer quiet.Stop()
	for {
		select {
		case <-arrived:
			if len(h.cfg.AgentKeys) > 0 && answered() >= len(h.cfg.AgentKeys) {
				return
			}
			quiet.Reset(discoverQuiet)
		case <-quiet.C:
			return
		case <-limit.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// asyncError is the hub connection's error handler: a message the client
// dropped is never silent.
func (h *Hub) asyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	subject := ""
	if sub != nil {
		subject = sub.Subject
	}
	if !errors.Is(err, nats.ErrSlowConsumer) {
		h.cfg.Log.Warn("fleet hub: NATS error", "subject", subject, "err", err)
		return
	}
	if h.cfg.Dropped != nil {
		h.cfg.Dropped()
	}
	if strings.HasPrefix(subject, progressPrefix) {
		// A run's progress reports are snapshots: the next one says all.
		h.cfg.Log.Info("fleet hub: progress reports were dropped (slow consumer); later ones supersede them", "subject", subject)
		return
	}
	h.cfg.Log.Warn("fleet hub: messages from agents were dropped (slow consumer); discovering the hosts again", "subject", subject)
	select {
	case h.rescan <- struct{}{}:
	default: // one is already due
	}
}

// upkeep writes the register every flushEvery, and discovers again when
// messages were dropped, at most every rediscoverAfter.
func (h *Hub) upkeep(ctx context.Context) {
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			h.flushRegister(ctx)
		case <-h.rescan:
			if wait := rediscoverAfter - time.Since(last); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return
				}
			}
			last = time.Now()
			h.discover(ctx)
		}
	}
}

// flushRegister writes the hosts heard from since the last flush in one
// transaction; those it could not write wait for the next.
func (h *Hub) flushRegister(ctx context.Context) {
	if h.cfg.Register == nil {
		return
	}
	h.mu.Lock()
	batch := h.unsaved
	h.unsaved = map[string]seenHost{}
	h.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := h.cfg.Register.saveAll(context.WithoutCancel(ctx), batch); err != nil {
		h.cfg.Log.Warn("fleet hub: could not write the hosts register", "hosts", len(batch), "err", err)
		h.mu.Lock()
		for host, s := range batch {
			if _, newer := h.unsaved[host]; !newer {
				h.unsaved[host] = s
			}
		}
		h.mu.Unlock()
	}
}
