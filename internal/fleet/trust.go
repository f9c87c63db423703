package fleet

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// What the hub believes of the agents: only what a host's own key, pinned
// in the hub's config (fleet.agent_keys), vouches for. A message whose
// signature does not verify is dropped and logged; a host without a pinned
// key is not a host of this fleet, whatever it announces.
//
// Keys are pinned, never learnt on first use: the attack this closes is a
// machine with some host's NATS credentials announcing a host that never
// existed (or answering for one that is down), and trust on first use would
// take that first announcement as the truth.

// agentKey returns the pinned key of host.
func (h *Hub) agentKey(host string) (ed25519.PublicKey, bool) {
	k, ok := h.cfg.AgentKeys[host]
	return k, ok && len(k) == ed25519.PublicKeySize
}

// errUntrusted marks a message from an agent that the hub does not believe.
var errUntrusted = errors.New("not signed by the key pinned for its host (fleet.agent_keys)")

// verifyFrom checks that m is host's signature in domain.
func (h *Hub) verifyFrom(host, domain string, m *nats.Msg) error {
	key, ok := h.agentKey(host)
	if !ok {
		return fmt.Errorf("host %q has no key in fleet.agent_keys", host)
	}
	if m.Header == nil || !verifyAs(key, domain, m.Data, m.Header.Get(sigHeader)) {
		return errUntrusted
	}
	return nil
}

// fresh returns why a message sent at sent is too old or from the future.
func fresh(sent, now time.Time) error {
	switch {
	case sent.After(now.Add(clockSkew)):
		return fmt.Errorf("sent %s in the future: are the clocks in step?", sent.Sub(now).Round(time.Second))
	case now.Sub(sent) > maxLifetime:
		return fmt.Errorf("sent %s ago", now.Sub(sent).Round(time.Second))
	}
	return nil
}

// takeHeartbeat takes an agent's heartbeat from the subject of host. An
// announcement older than the last one believed is a replay and ignored.
func (h *Hub) takeHeartbeat(host string, m *nats.Msg) {
	var an Announce
	err := h.verifyFrom(host, domainAnnounce, m)
	if err == nil {
		err = json.Unmarshal(m.Data, &an)
	}
	if err == nil && an.Host != host {
		err = fmt.Errorf("announces %q on the subject of %q", an.Host, host)
	}
	if err == nil {
		err = fresh(an.Sent, h.cfg.Now())
	}
	if err == nil {
		if prev, ok := h.lastSeen(host); ok && an.Sent.Before(prev.Sent) {
			err = errors.New("older than the last heartbeat")
		}
	}
	if err != nil {
		h.cfg.Log.Warn("fleet hub: dropped a heartbeat", "host", host, "reason", err)
		return
	}
	h.saw(an)
}

// takeDiscovered takes an answer to the discovery that asked with nonce.
func (h *Hub) takeDiscovered(m *nats.Msg, nonce string) {
	var an Announce
	if err := json.Unmarshal(m.Data, &an); err != nil {
		h.cfg.Log.Warn("fleet hub: dropped a discovery answer that is not one", "err", err)
		return
	}
	err := h.verifyFrom(an.Host, domainAnnounce, m)
	if err == nil && an.Nonce != nonce {
		err = errors.New("answers another discovery")
	}
	if err != nil {
		h.cfg.Log.Warn("fleet hub: dropped a discovery answer", "host", an.Host, "reason", err)
		return
	}
	h.saw(an)
}

// takeAlert verifies an alert from the subject of host and queues it for
// the chat channels. The host is the one whose key signed it.
func (h *Hub) takeAlert(host string, m *nats.Msg) {
	var ev AlertEvent
	err := h.verifyFrom(host, domainAlert, m)
	if err == nil {
		err = json.Unmarshal(m.Data, &ev)
	}
	if err == nil && ev.Host != host {
		err = fmt.Errorf("claims host %q on the subject of %q", ev.Host, host)
	}
	now := h.cfg.Now()
	if err == nil {
		err = fresh(ev.Sent, now)
	}
	if err == nil {
		var first bool
		first, err = h.alertIDs.firstTime(context.Background(), host+"/"+ev.ID, ev.Sent.Add(maxLifetime+clockSkew), now)
		if err == nil && !first {
			err = errors.New("a replay of an alert already relayed")
		}
	}
	if err != nil {
		h.cfg.Log.Warn("fleet hub: dropped an alert", "host", host, "reason", err)
		return
	}
	select { // one at a time and in order: an update must follow its post
	case h.alerts <- hostAlert{host, ev}:
	default:
		h.cfg.Log.Warn("fleet hub: alerts arrive faster than the chat APIs take them; one was dropped",
			"host", host, "program", ev.Alert.Program)
	}
}

// maxAlertIDs bounds the alert IDs the hub remembers against replays.
const maxAlertIDs = 100000

// request sends msg, a request to host with ID id, and waits until
// timeout for host's signed reply to it. Answers that do not verify are
// dropped and logged, and the wait goes on: a forged answer cannot shut
// out the real one. Meanwhile host's progress reports from feed (nil:
// none) are taken on this goroutine, the run's, one after the other.
func (h *Hub) request(ctx context.Context, host, id string, msg *nats.Msg, timeout time.Duration, feed *progressFeed) (Reply, error) {
	inbox := h.nc.NewRespInbox()
	ch := make(chan *nats.Msg, 8)
	sub, err := h.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return Reply{}, fmt.Errorf("%w: %s: %v", ErrUnreachable, host, err)
	}
	defer sub.Unsubscribe()
	msg.Reply = inbox
	if err := h.nc.PublishMsg(msg); err != nil {
		return Reply{}, fmt.Errorf("%w: %s: %v", ErrUnreachable, host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		select {
		case m := <-ch:
			if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
				return Reply{}, fmt.Errorf("%w: no agent for %s is connected", ErrUnreachable, host)
			}
			var r Reply
			err := h.verifyFrom(host, domainReply, m)
			if err == nil {
				err = json.Unmarshal(m.Data, &r)
			}
			if err == nil && (r.ID != id || r.Host != host) {
				err = fmt.Errorf("answers request %q of %q, not %q of %q", r.ID, r.Host, id, host)
			}
			if err != nil {
				h.cfg.Log.Warn("fleet hub: dropped a reply", "host", host, "reason", err)
				continue
			}
			feed.drain(h) // the reports the agent sent before its answer
			return r, nil
		case m := <-feed.messages():
			h.takeProgress(feed, m)
		case <-ctx.Done():
			return Reply{}, fmt.Errorf("%w: no answer from %s within %s", ErrUnreachable, host, timeout)
		}
	}
}
