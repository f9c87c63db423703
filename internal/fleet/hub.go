package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// HubConfig is what a hub needs besides its connection.
type HubConfig struct {
	Key ed25519.PrivateKey // signs every request
	// AgentKeys are the hosts' own public keys (fleet.agent_keys): the hub
	// believes a reply, announcement or alert only when the key of the host
	// it speaks for signed it, and knows no host without a key here.
	AgentKeys   map[string]ed25519.PublicKey
	Timeout     time.Duration // a read's or a plan's deadline (fleet.request_timeout)
	DefaultHost string
	Groups      map[string][]string // host_groups
	Channels    map[string]string   // chat channel ID -> host or group
	// Register keeps the hosts heard from across restarts (nil: only this
	// process's memory).
	Register *Register
	// Files names, by the kind of file (ops.FileChange.Kind, before any
	// "@instance"), the operations that manage it: a group write with
	// --on-failure rollback undoes a host's change through them.
	Files map[string]ops.FileOps
	// Dropped, when set, counts a message the NATS client dropped because
	// the hub took it too slowly (a slow consumer): /metrics shows it.
	Dropped func()
	Log     *slog.Logger
	Now     func() time.Time
}

// ApplyTimeout is the deadline of an apply: a restart waits for the
// program to come up (startsecs), a pool change for php-fpm's reload. The
// chat adapters have answered long before and edit their answer when done.
const ApplyTimeout = 2 * time.Minute

// Hub routes operations to the agents.
type Hub struct {
	cfg HubConfig
	nc  *nats.Conn

	mu       sync.Mutex
	seen     map[string]seenHost  // by host
	saved    map[string]time.Time // when each host was last written to the register
	unsaved  map[string]seenHost  // heard from, to be written to the register (flushRegister)
	rescan   chan struct{}        // a message was dropped: discover again
	subs     []*nats.Subscription
	relay    *relay
	alerts   chan hostAlert
	alertIDs *memoryReplays // alerts relayed, against replays
	// applying is, by run ID, the host whose apply a group roll waits for:
	// /ops cancel of the run reaches that host's agent (Cancel).
	applying sync.Map
}

type hostAlert struct {
	host string
	ev   AlertEvent
}

type seenHost struct {
	Announce
	at time.Time // when the hub last heard from it
}

// NewHub returns a hub on connection nc. Call Start before use.
func NewHub(nc *nats.Conn, cfg HubConfig) *Hub {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	h := &Hub{cfg: cfg, nc: nc, seen: map[string]seenHost{}, saved: map[string]time.Time{},
		unsaved: map[string]seenHost{}, rescan: make(chan struct{}, 1), alerts: make(chan hostAlert, 256),
		alertIDs: newMemoryReplays(maxAlertIDs)}
	h.relay = newRelay(cfg.Log)
	return h
}

// Start listens to the agents' announcements and alerts, and asks every
// agent to announce itself now (waiting at most the request timeout), so
// that `--host all` means every agent from the first request on.
func (h *Hub) Start(ctx context.Context) error {
	if r := h.cfg.Register; r != nil {
		known, err := r.remembered(ctx, h.cfg.Now())
		if err != nil {
			return fmt.Errorf("fleet hub: read the hosts register: %w", err)
		}
		h.mu.Lock()
		for _, s := range known {
			if _, pinned := h.agentKey(s.Host); !pinned { // remembered before keys were pinned, or unpinned since
				h.cfg.Log.Warn("fleet hub: ignoring a remembered host without a key in fleet.agent_keys", "host", s.Host)
				continue
			}
			h.seen[s.Host], h.saved[s.Host] = s, s.at
		}
		h.mu.Unlock()
	}
	sub, err := h.nc.Subscribe(hubWildcard, func(m *nats.Msg) {
		switch {
		case strings.HasPrefix(m.Subject, announcePrefix):
			h.takeHeartbeat(hostOfSubject(m.Subject, announcePrefix), m)
		case strings.HasPrefix(m.Subject, alertPrefix):
			h.takeAlert(hostOfSubject(m.Subject, alertPrefix), m)
		}
	})
	if err != nil {
		return fmt.Errorf("fleet hub: subscribe: %w", err)
	}
	// A thousand agents announce within the same few seconds; their
	// heartbeats wait in the client rather than be dropped.
	if err := sub.SetPendingLimits(pendingMsgs, pendingBytes); err != nil {
		return fmt.Errorf("fleet hub: subscribe: %w", err)
	}
	h.nc.SetErrorHandler(h.asyncError)
	h.mu.Lock()
	h.subs = append(h.subs, sub)
	h.mu.Unlock()
	go func() {
		for {
			select {
			case a := <-h.alerts:
				h.relay.forward(context.WithoutCancel(ctx), a.host, a.ev)
			case <-ctx.Done():
				return
			}
		}
	}()
	h.discover(ctx)
	go h.upkeep(ctx)
	return nil
}

// Stop stops listening, and writes to the register the hosts heard from
// since it was last written.
func (h *Hub) Stop() {
	h.mu.Lock()
	for _, s := range h.subs {
		_ = s.Unsubscribe()
	}
	h.subs = nil
	h.mu.Unlock()
	h.flushRegister(context.Background())
}

func (h *Hub) saw(an Announce) {
	now := h.cfg.Now()
	h.mu.Lock()
	if prev, known := h.seen[an.Host]; !known || prev.Started != an.Started {
		h.cfg.Log.Info("fleet: agent joined", "host", an.Host, "version", an.Version)
	}
	h.seen[an.Host] = seenHost{Announce: an, at: now}
	if h.cfg.Register != nil && now.Sub(h.saved[an.Host]) >= registerEvery {
		h.saved[an.Host] = now
		h.unsaved[an.Host] = h.seen[an.Host]
	}
	h.mu.Unlock()
}

// Hosts returns every host the hub knows, sorted: those the config names
// (with a pinned key or otherwise) and those that have announced
// themselves, which have a pinned key too.
func (h *Hub) Hosts(context.Context) []string {
	set := map[string]bool{}
	for host := range h.cfg.AgentKeys {
		set[host] = true
	}
	if h.cfg.DefaultHost != "" {
		set[h.cfg.DefaultHost] = true
	}
	for _, members := range h.cfg.Groups {
		for _, m := range members {
			set[m] = true
		}
	}
	for _, t := range h.cfg.Channels {
		if _, group := h.cfg.Groups[t]; !group && t != "all" {
			set[t] = true
		}
	}
	h.mu.Lock()
	for name := range h.seen {
		set[name] = true
	}
	h.mu.Unlock()
	return slices.Sorted(maps.Keys(set))
}

// Heard returns how many hosts the hub has heard from (an answer to
// discovery, a heartbeat or a health check; or remembered in the
// register), as against those the config only names.
func (h *Hub) Heard() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

// Targets returns what --host may name: every host, every group, and all.
func (h *Hub) Targets(ctx context.Context) []string {
	out := h.Hosts(ctx)
	for _, g := range slices.Sorted(maps.Keys(h.cfg.Groups)) {
		out = append(out, g)
	}
	return append(out, All)
}

func (h *Hub) lastSeen(host string) (seenHost, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.seen[host]
	return s, ok
}

// ErrUnreachable marks an agent that did not answer.
var ErrUnreachable = errors.New("unreachable")

// send signs req for host, sends it and waits for host's signed reply
// until the deadline. An agent that is not connected, or does not answer
// in time, is reported as unreachable.
func (h *Hub) send(ctx context.Context, host, kind string, timeout time.Duration, req Request) (Reply, error) {
	return h.sendWatching(ctx, host, kind, timeout, req, nil)
}

// sendWatching is send, taking host's progress reports from feed (nil:
// none) while it waits for the answer.
func (h *Hub) sendWatching(ctx context.Context, host, kind string, timeout time.Duration, req Request, feed *progressFeed) (Reply, error) {
	now := h.cfg.Now()
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	req.V, req.ID, req.Host, req.Kind = protocolVersion, hex.EncodeToString(id), host, kind
	req.Sent, req.Deadline = now, now.Add(timeout)
	body, err := json.Marshal(req)
	if err != nil {
		return Reply{}, err
	}
	msg := nats.NewMsg(AgentSubject(host))
	msg.Data = body
	msg.Header.Set(sigHeader, hex.EncodeToString(ed25519.Sign(h.cfg.Key, body)))
	return h.request(ctx, host, req.ID, msg, timeout, feed)
}

// unreachableErr turns a transport failure into the operation's error.
func unreachableErr(err error) error {
	return &ops.Error{Status: ops.StatusFailed, Msg: "host " + err.Error(), Err: err}
}

// replyErr turns a refused or failed reply into the operation's error.
func replyErr(r Reply) error {
	e := &ops.Error{Status: r.Status, Msg: r.Message, Changes: r.Changes, Body: ops.Body{Parts: r.Parts}}
	if len(r.Data) > 0 {
		var d any
		if json.Unmarshal(r.Data, &d) == nil {
			e.Data = d
		}
	}
	if r.Status == ops.StatusDenied { // the agent refused the hub itself: roles were the hub's to check
		e.Status = ops.StatusFailed
	}
	return e
}
