// Package fleet is poolvisor's fleet mode: one chat-facing hub and an agent
// on each host, talking over NATS.
//
// The hub runs the chat adapters and the pipeline's first half (parse,
// roles, approvals, audit); the agent of each host plans and applies with
// its own backends and keeps its own versions and audit trail. Every
// request from the hub is signed with the hub's Ed25519 key and carries a
// deadline; an agent refuses anything unsigned, addressed to another host,
// expired or replayed, so a misconfigured NATS server alone cannot command
// a host.
//
// Subjects (a host name's dots become '~', since NATS splits subjects on dots):
//
//	poolvisor.agent.HOST            hub -> agent: signed requests (request-reply)
//	poolvisor.discover              hub -> agents: who is there? (each answers with its announcement)
//	poolvisor.hub.announce.HOST     agent -> hub: heartbeat with version and health
//	poolvisor.hub.alert.HOST        agent -> hub: an alert to post, update or resolve
//	poolvisor.progress.RUN.HOST     agent -> hub: the progress of its apply of the hub's run RUN (progress.go)
package fleet

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Subject prefixes; see the package documentation.
const (
	agentPrefix    = "poolvisor.agent."
	discoverSubj   = "poolvisor.discover"
	announcePrefix = "poolvisor.hub.announce."
	alertPrefix    = "poolvisor.hub.alert."
	hubWildcard    = "poolvisor.hub.>"
)

// Token returns host as one NATS subject token.
func Token(host string) string { return strings.ReplaceAll(host, ".", "~") }

// AgentSubject is where the agent of host takes requests.
func AgentSubject(host string) string { return agentPrefix + Token(host) }

func hostOfSubject(subject, prefix string) string {
	return strings.ReplaceAll(strings.TrimPrefix(subject, prefix), "~", ".")
}

// protocolVersion is the version of Request and Reply; an agent refuses
// requests of another version rather than misread them. Version 2: agents
// sign what they send.
const protocolVersion = 2

// Kinds of Request.
const (
	KindPlan   = "plan"   // plan a write; nothing changes
	KindApply  = "apply"  // plan again, check the fingerprint, apply
	KindHealth = "health" // the agent's announcement, now
)

// Request is what the hub asks of one agent. Its JSON encoding is what the
// hub signs: the signature travels in the sigHeader header.
type Request struct {
	V        int           `json:"v"`
	ID       string        `json:"id"`   // unique; an agent runs each ID once
	Host     string        `json:"host"` // the agent it is for
	Kind     string        `json:"kind"`
	Sent     time.Time     `json:"sent"`
	Deadline time.Time     `json:"deadline"`
	Actor    ops.Actor     `json:"actor"`
	Op       ops.Operation `json:"op"`
	// Fingerprint, in an apply, is the plan's that the hub (and an approver) saw.
	Fingerprint string `json:"fingerprint,omitempty"`
	ApprovalID  string `json:"approval_id,omitempty"`
	Approver    string `json:"approver,omitempty"`
	// RunID, in an apply, is the ID of the hub's run: the agent's run takes
	// it, so that /ops cancel ID on the hub can name the agent's run.
	RunID string `json:"run_id,omitempty"`
}

// sigHeader carries the hex Ed25519 signature of a message's body: the
// hub's on requests, the sending agent's on everything agents send.
const sigHeader = "Poolvisor-Signature"

// Reply is an agent's answer. Status is empty when the request succeeded.
// ID and Host tie it to the request it answers, under the agent's signature.
type Reply struct {
	ID      string     `json:"id"`
	Host    string     `json:"host"`
	Status  ops.Status `json:"status,omitempty"`
	Message string     `json:"message"`
	// Parts are the message as typed pieces (ops.Body), when it has any
	// besides prose; Message stays the whole text, for hubs before them.
	Parts []ops.Part      `json:"parts,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	// Plans carry a summary and a fingerprint; plans and applies carry the
	// files changed with their bytes before and after, from which the hub
	// renders the (masked) diffs.
	Summary     string           `json:"summary,omitempty"`
	Fingerprint string           `json:"fingerprint,omitempty"`
	Changes     []ops.FileChange `json:"changes,omitempty"`
	// Effects are the plan's ops.Plan.Effects: the hub's approval gate
	// weighs them as the agent's own pipeline would.
	Effects  []string  `json:"effects,omitempty"`
	Announce *Announce `json:"announce,omitempty"` // KindHealth
	// Private is an apply's text for the requester alone (ops.Outcome.Private).
	Private string `json:"private,omitempty"`
}

// Announce is an agent's heartbeat, and its answer to discovery.
type Announce struct {
	Host string `json:"host"`
	// Nonce, in an answer to discovery, is the one the hub's question
	// carried, so that an old answer cannot be played back as a new one.
	Nonce      string          `json:"nonce,omitempty"`
	Version    string          `json:"version"`
	Started    time.Time       `json:"started"`
	Sent       time.Time       `json:"sent"`
	Health     []ops.Component `json:"health"`
	OpenAlerts int             `json:"open_alerts"`
}

// AlertEvent is an agent's alert for the hub to post to the chat channels.
// The hub ignores the alert's Host, Action and ActionLabel: the host is the
// one whose key signed the event, and the hub makes the button itself.
type AlertEvent struct {
	ID    string      `json:"id"`   // unique; the hub relays each ID once
	Host  string      `json:"host"` // the sender; must be the signer
	Sent  time.Time   `json:"sent"`
	What  string      `json:"what"` // "post", "update" or "recover"
	Ref   string      `json:"ref"`  // the agent's reference of the alert
	Alert alert.Alert `json:"alert"`
}

// discoverQuestion is the body of the hub's discovery request.
type discoverQuestion struct {
	Nonce string `json:"nonce"`
}

// maxNonce bounds the nonce an agent echoes.
const maxNonce = 64
