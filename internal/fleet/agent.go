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
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Local is the pipeline of the agent's own host (ops.Pipeline).
type Local interface {
	PlanAuthorized(ctx context.Context, actor ops.Actor, op ops.Operation) (*ops.Plan, error)
	ApplyAuthorized(ctx context.Context, actor ops.Actor, op ops.Operation, fingerprint string, meta ops.VersionMeta) (ops.Outcome, error)
}

var _ Local = (*ops.Pipeline)(nil)

// AgentConfig is what an agent needs besides its connection and pipeline.
type AgentConfig struct {
	Host    string
	Version string
	HubKey  ed25519.PublicKey // requests not signed with its private half are refused
	// Key is this host's own key (fleet.agent_key_file): it signs the
	// agent's replies, announcements and alerts; the hub pins its public half.
	Key ed25519.PrivateKey
	// Replays keeps the IDs of the requests run, across restarts. Nil keeps
	// them in memory only, which a restart forgets: for tests.
	Replays *ReplayCache
	// Health reports the host's daemons; OpenAlerts counts its open alerts.
	// Either may be nil.
	Health     ops.HealthFunc
	OpenAlerts func() int
	// Heartbeat is how often the agent announces itself (default 5s).
	Heartbeat time.Duration
	Log       *slog.Logger
	Now       func() time.Time
}

// DefaultHeartbeat is how often agents announce themselves by default.
const DefaultHeartbeat = 5 * time.Second

// maxConcurrent bounds the requests an agent works on at once; more wait.
const maxConcurrent = 16

// Agent serves its host's operations to the hub.
type Agent struct {
	cfg     AgentConfig
	nc      *nats.Conn
	local   Local
	verify  *verifier
	started time.Time
	slots   chan struct{}
	wg      sync.WaitGroup
	alertN  atomic.Int64
}

// NewAgent returns an agent for the host of cfg on connection nc.
func NewAgent(nc *nats.Conn, local Local, cfg AgentConfig) *Agent {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var seen replayCache = newMemoryReplays(0)
	if cfg.Replays != nil {
		seen = cfg.Replays
	}
	return &Agent{cfg: cfg, nc: nc, local: local, verify: newVerifier(cfg.HubKey, cfg.Host, seen),
		started: cfg.Now(), slots: make(chan struct{}, maxConcurrent)}
}

// errNoKey is Run's and the notifier's error without AgentConfig.Key.
var errNoKey = errors.New("fleet agent: no key of its own to sign with (fleet.agent_key_file)")

// signed returns a message to subject carrying v, signed in domain.
func (a *Agent) signed(subject, domain string, v any) (*nats.Msg, error) {
	if len(a.cfg.Key) != ed25519.PrivateKeySize {
		return nil, errNoKey
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("fleet agent: encode: %w", err)
	}
	m := nats.NewMsg(subject)
	m.Data = b
	m.Header.Set(sigHeader, signAs(a.cfg.Key, domain, b))
	return m, nil
}

// Run serves requests and announces the agent until ctx ends, then waits
// for the requests in flight.
func (a *Agent) Run(ctx context.Context) error {
	if len(a.cfg.Key) != ed25519.PrivateKeySize {
		return errNoKey
	}
	// A queue group: should two agents run for one host by mistake, each
	// request is still applied once.
	reqs, err := a.nc.QueueSubscribe(AgentSubject(a.cfg.Host), "poolvisor-agent", func(m *nats.Msg) {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.slots <- struct{}{}
			defer func() { <-a.slots }()
			a.handle(ctx, m)
		}()
	})
	if err != nil {
		return fmt.Errorf("fleet agent: subscribe: %w", err)
	}
	disc, err := a.nc.Subscribe(discoverSubj, func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		var q discoverQuestion
		if json.Unmarshal(m.Data, &q) != nil || len(q.Nonce) > maxNonce {
			return
		}
		an := a.announce(ctx)
		an.Nonce = q.Nonce
		if ans, err := a.signed(m.Reply, domainAnnounce, an); err == nil {
			_ = a.nc.PublishMsg(ans)
		}
	})
	if err != nil {
		_ = reqs.Unsubscribe()
		return fmt.Errorf("fleet agent: subscribe: %w", err)
	}
	a.cfg.Log.Info("fleet agent serving", "host", a.cfg.Host, "subject", AgentSubject(a.cfg.Host))
	t := time.NewTimer(jittered(a.cfg.Heartbeat))
	defer t.Stop()
	for {
		m, err := a.signed(announcePrefix+Token(a.cfg.Host), domainAnnounce, a.announce(ctx))
		if err == nil {
			err = a.nc.PublishMsg(m)
		}
		if err != nil {
			a.cfg.Log.Debug("fleet agent: announce failed", "err", err)
		}
		select {
		case <-ctx.Done():
			_ = reqs.Drain()
			_ = disc.Unsubscribe()
			a.wg.Wait()
			return nil
		case <-t.C:
			t.Reset(jittered(a.cfg.Heartbeat))
		}
	}
}

// jittered is d give or take a fifth, at random: agents started together
// (a fleet rebooted, a thousand in a test) spread their heartbeats out
// rather than all announce in the same instant, and an announcement the
// hub missed is made again within about d.
func jittered(d time.Duration) time.Duration {
	return d - d/5 + mrand.N(2*d/5+1)
}

func (a *Agent) announce(ctx context.Context) Announce {
	an := Announce{Host: a.cfg.Host, Version: a.cfg.Version, Started: a.started, Sent: a.cfg.Now(), Health: []ops.Component{}}
	if a.cfg.Health != nil {
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		an.Health = a.cfg.Health(hctx)
		cancel()
	}
	if a.cfg.OpenAlerts != nil {
		an.OpenAlerts = a.cfg.OpenAlerts()
	}
	return an
}

// handle verifies one request, runs it and replies, signed and tied to the
// request by its ID.
func (a *Agent) handle(ctx context.Context, m *nats.Msg) {
	var req Request
	reply := a.serve(ctx, m, &req)
	if m.Reply == "" {
		return
	}
	reply.ID, reply.Host = req.ID, a.cfg.Host
	ans, err := a.signed(m.Reply, domainReply, reply)
	if err != nil {
		ans, err = a.signed(m.Reply, domainReply, Reply{ID: req.ID, Host: a.cfg.Host, Status: ops.StatusFailed,
			Message: "the agent could not encode its answer"})
	}
	if err == nil {
		err = a.nc.PublishMsg(ans)
	}
	if err != nil {
		a.cfg.Log.Warn("fleet agent: could not answer the hub", "err", err)
	}
}

func (a *Agent) serve(ctx context.Context, m *nats.Msg, req *Request) Reply {
	if err := json.Unmarshal(m.Data, req); err != nil {
		a.cfg.Log.Warn("fleet agent: refused a request that is not one", "err", err)
		return Reply{Status: ops.StatusDenied, Message: "refused by the agent on " + a.cfg.Host + ": not a poolvisor request"}
	}
	if err := a.verify.check(ctx, m.Data, m.Header.Get(sigHeader), req, a.cfg.Now()); err != nil {
		a.cfg.Log.Warn("fleet agent: refused a request", "reason", err, "id", req.ID, "operation", req.Op.Name, "actor", req.Actor.String())
		return Reply{Status: ops.StatusDenied, Message: fmt.Sprintf("refused by the agent on %s: %v", a.cfg.Host, err)}
	}
	ctx, cancel := context.WithDeadline(ctx, req.Deadline)
	defer cancel()
	switch req.Kind {
	case KindHealth:
		an := a.announce(ctx)
		return Reply{Announce: &an}
	case KindPlan:
		plan, err := a.local.PlanAuthorized(ctx, req.Actor, req.Op)
		if err != nil {
			return errorReply(err, nil)
		}
		return Reply{Summary: plan.Summary, Fingerprint: plan.Fingerprint, Changes: plan.Changes, Effects: plan.Effects}
	case KindApply:
		if req.RunID != "" {
			ctx = ops.WithRunID(ctx, req.RunID)
		}
		if w := a.progressWatcher(*req); w != nil {
			ctx = ops.WithWatcher(ctx, w)
		}
		out, err := a.local.ApplyAuthorized(ctx, req.Actor, req.Op, req.Fingerprint,
			ops.VersionMeta{ApprovalID: req.ApprovalID, Approver: req.Approver})
		if err != nil {
			return errorReply(err, out.Changes)
		}
		data, err := json.Marshal(out.Data)
		if err != nil {
			return Reply{Status: ops.StatusFailed, Message: "the agent could not encode its answer", Changes: out.Changes}
		}
		return Reply{Message: out.Text(), Parts: out.Body.Parts, Data: data, Changes: out.Changes, Private: out.Private}
	}
	return Reply{Status: ops.StatusInvalid, Message: fmt.Sprintf("the agent on %s does not know requests of kind %q", a.cfg.Host, req.Kind)}
}

// errorReply carries an operation's error to the hub: its status, the
// message safe to show and its data. Internal detail stays in this host's log.
func errorReply(err error, changes []ops.FileChange) Reply {
	status, msg := ops.UserError(err)
	r := Reply{Status: status, Message: msg, Changes: changes}
	var e *ops.Error
	if errors.As(err, &e) {
		r.Parts = e.Body.Parts
	}
	if e != nil && e.Data != nil {
		r.Data, _ = json.Marshal(e.Data)
	}
	return r
}

// Notifier returns an alert.Notifier that hands this host's alerts to the
// hub, which posts them to the chat channels.
func (a *Agent) Notifier() alert.Notifier { return agentNotifier{a} }

type agentNotifier struct{ a *Agent }

var _ alert.Notifier = agentNotifier{}

func (n agentNotifier) send(what, ref string, al alert.Alert) error {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	ev := AlertEvent{ID: hex.EncodeToString(id), Host: n.a.cfg.Host, Sent: n.a.cfg.Now(), What: what, Ref: ref, Alert: al}
	m, err := n.a.signed(alertPrefix+Token(n.a.cfg.Host), domainAlert, ev)
	if err != nil {
		return err
	}
	return n.a.nc.PublishMsg(m)
}

func (n agentNotifier) PostAlert(_ context.Context, al alert.Alert) (string, error) {
	ref := strconv.FormatInt(n.a.started.UnixNano(), 36) + "-" + strconv.FormatInt(n.a.alertN.Add(1), 10)
	return ref, n.send("post", ref, al)
}

func (n agentNotifier) UpdateAlert(_ context.Context, ref string, al alert.Alert) error {
	return n.send("update", ref, al)
}

func (n agentNotifier) PostRecovery(_ context.Context, ref string, al alert.Alert) error {
	return n.send("recover", ref, al)
}
