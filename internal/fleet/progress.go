package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// An agent's rolling apply goes in steps of its own (a rolling restart's
// batches). The hub's request names its run (Request.RunID); while the
// apply runs, the agent publishes each ops.Progress of it, signed with its
// own key, on the run's subject for its host, and the hub, which listens
// there only while it waits for that host's answer, hands them to its run's
// watcher: chat shows "web-02: batch 2/4 running". What the hub believes of
// a report is what it believes of a reply: the key pinned for the host of
// the subject signed it, it names that host and the hub's run, it is fresh,
// and it comes after the last report taken from that host (reports are
// whole snapshots, so one lost or dropped is superseded by the next).

// progressPrefix starts the subjects of agents' progress reports:
// poolvisor.progress.RUN.HOST. It is not under poolvisor.hub.>, which the
// hub always listens to: a run's reports reach only the hub waiting for it.
const progressPrefix = "poolvisor.progress."

// domainProgress is the domain of the agents' signatures on progress reports.
const domainProgress = "poolvisor progress\n"

// Bounds of the reports the hub takes.
const (
	// maxProgressBytes is the largest report taken; an agent does not
	// send a larger one (a roll of thousands of processes), the hub drops
	// one. The answer still says everything at the end.
	maxProgressBytes = 64 << 10
	// progressBuffer is how many reports wait for the hub's run; more are
	// dropped by the client (a slow consumer), later ones supersede them.
	progressBuffer = 64
)

// ProgressEvent is one progress report of an agent's run.
type ProgressEvent struct {
	RunID string    `json:"run_id"` // the hub's run, as its request named it
	Host  string    `json:"host"`   // the sender; must be the signer
	Seq   uint64    `json:"seq"`    // 1, 2, …: a report older than one taken is dropped
	Sent  time.Time `json:"sent"`
	// Progress is the agent's run as its own surfaces would draw it.
	Progress ops.Progress `json:"progress"`
}

// progressSubject is where host's agent reports on the hub's run runID.
func progressSubject(runID, host string) string {
	return progressPrefix + runID + "." + Token(host)
}

// validRunID reports whether id can be one subject token: the run IDs the
// pipeline makes always are, and a request naming another gets no reports.
func validRunID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// progressWatcher returns the watcher an agent's apply of req runs under:
// it publishes each report to the hub, signed. Nil when req names no run.
func (a *Agent) progressWatcher(req Request) ops.Watcher {
	if !validRunID(req.RunID) {
		return nil
	}
	var seq atomic.Uint64
	subject := progressSubject(req.RunID, a.cfg.Host)
	return func(p ops.Progress) {
		ev := ProgressEvent{RunID: req.RunID, Host: a.cfg.Host, Seq: seq.Add(1), Sent: a.cfg.Now(), Progress: p}
		m, err := a.signed(subject, domainProgress, ev)
		if err == nil && len(m.Data) > maxProgressBytes {
			err = fmt.Errorf("a report of %d bytes is more than the %d the hub takes", len(m.Data), maxProgressBytes)
		}
		if err == nil {
			err = a.nc.PublishMsg(m) // buffered by the client: returns at once
		}
		if err != nil {
			a.cfg.Log.Debug("fleet agent: progress not sent", "run", req.RunID, "err", err)
		}
	}
}

// progressFeed is the hub listening to one host's reports on one run.
type progressFeed struct {
	host, runID string
	sub         *nats.Subscription
	ch          chan *nats.Msg
	last        uint64 // Seq of the last report taken
	take        func(ops.Progress)
}

// watchProgress listens to host's reports on the run of ctx, for take,
// until the returned feed is closed; nil (which closes as a no-op) when
// ctx has no run with a watcher, or the run's ID cannot be a subject.
func (h *Hub) watchProgress(ctx context.Context, host string, take func(ops.Progress)) *progressFeed {
	run := ops.RunOf(ctx)
	if run == nil || !validRunID(run.ID) || ops.WatcherOf(ctx) == nil {
		return nil
	}
	f := &progressFeed{host: host, runID: run.ID, ch: make(chan *nats.Msg, progressBuffer), take: take}
	sub, err := h.nc.ChanSubscribe(progressSubject(run.ID, host), f.ch)
	if err != nil {
		h.cfg.Log.Warn("fleet hub: no progress from the agent for this run", "host", host, "run", run.ID, "err", err)
		return nil
	}
	f.sub = sub
	return f
}

func (f *progressFeed) close() {
	if f != nil {
		_ = f.sub.Unsubscribe()
	}
}

// messages is the feed's channel, or nil (never ready) without a feed.
func (f *progressFeed) messages() <-chan *nats.Msg {
	if f == nil {
		return nil
	}
	return f.ch
}

// drain takes the reports already waiting: the client hands the hub's
// messages to their channels in the order they came, so when the answer
// is in, every report the agent sent before it is waiting here.
func (f *progressFeed) drain(h *Hub) {
	for f != nil {
		select {
		case m := <-f.ch:
			h.takeProgress(f, m)
		default:
			return
		}
	}
}

// takeProgress checks one report and hands it on; one that does not hold
// is dropped and logged.
func (h *Hub) takeProgress(f *progressFeed, m *nats.Msg) {
	ev, err := h.checkProgress(f.host, f.runID, f.last, m)
	if err != nil {
		h.cfg.Log.Warn("fleet hub: dropped a progress report", "host", f.host, "run", f.runID, "reason", err)
		return
	}
	f.last = ev.Seq
	f.take(ev.Progress)
}

// checkProgress returns the report m, from the subject of host on run
// runID, when host's pinned key signed it for that run and it is newer
// than the report last taken (Seq last).
func (h *Hub) checkProgress(host, runID string, last uint64, m *nats.Msg) (ProgressEvent, error) {
	var ev ProgressEvent
	if len(m.Data) > maxProgressBytes {
		return ev, fmt.Errorf("%d bytes, more than %d", len(m.Data), maxProgressBytes)
	}
	err := h.verifyFrom(host, domainProgress, m)
	if err == nil {
		err = json.Unmarshal(m.Data, &ev)
	}
	switch {
	case err != nil:
	case ev.Host != host:
		err = fmt.Errorf("claims host %q on the subject of %q", ev.Host, host)
	case ev.RunID != runID:
		err = fmt.Errorf("reports on run %q, not %q", ev.RunID, runID)
	case ev.Seq <= last:
		err = errors.New("older than a report already taken")
	default:
		err = fresh(ev.Sent, h.cfg.Now())
	}
	return ev, err
}

// hostNote says in one line where the agent's run of one host stands, as
// the note of the hub's step for that host: "batch 2/4 running: q:2, q:3".
func hostNote(p ops.Progress) string {
	n := len(p.Steps)
	if n == 0 {
		return ""
	}
	step := func(i int) string {
		name := p.Steps[i].Name
		if name == fmt.Sprintf("batch %d", i+1) {
			return fmt.Sprintf("batch %d/%d", i+1, n)
		}
		return fmt.Sprintf("%s (%d/%d)", name, i+1, n)
	}
	for i, s := range p.Steps {
		switch s.State {
		case ops.StepRunning:
			return step(i) + " running: " + strings.Join(s.Items, ", ")
		case ops.StepFailed:
			return step(i) + " failed"
		}
	}
	note := fmt.Sprintf("%d/%d done", p.Count(ops.StepDone), n)
	if p.CancelledBy != "" {
		return note + ", cancelled by " + p.CancelledBy
	}
	for i, s := range p.Steps {
		if s.State == ops.StepWaiting && !p.Finished {
			return note + ", next " + step(i)
		}
	}
	return note
}
