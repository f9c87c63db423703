package discord

// The Gateway client (discord.mode: gateway). poolvisor needs only one
// event from the Gateway, INTERACTION_CREATE, and answers it over REST
// exactly as it answers an HTTP interaction.
//
// It is a small client on gorilla/websocket rather than discordgo's
// Session, for four reasons: the Session finds the Gateway through package
// variables (EndpointGateway) that a test cannot point at a fake without
// changing them for every session in the process; it resumes on the first
// URL instead of READY's resume_gateway_url; it answers INVALID_SESSION by
// identifying again at once whatever its d says; and it retries forever,
// without a context to stop it or regard for the close codes Discord
// documents as final. discordgo's types still decode the interactions.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// Gateway opcodes.
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-opcodes
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11
)

// Gateway close codes that poolvisor acts on.
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
const (
	closeAuthFailed       = 4004
	closeInvalidSeq       = 4007
	closeSessionTimedOut  = 4009
	closeInvalidShard     = 4010
	closeShardingRequired = 4011
	closeInvalidVersion   = 4012
	closeInvalidIntents   = 4013
	closeDisallowedIntent = 4014

	// closeResuming is what poolvisor closes with when it means to resume:
	// Discord ends the session on 1000 and 1001, and keeps it on any other
	// code. https://discord.com/developers/docs/events/gateway#initiating-a-disconnect
	closeResuming = 4900
)

// gatewayVersion is the Gateway's API version, given in the URL with the
// encoding (json). https://discord.com/developers/docs/events/gateway#connecting
const gatewayVersion = "10"

// gatewayIntents is what poolvisor subscribes to: nothing. Interactions
// reach a bot over the Gateway whatever its intents.
const gatewayIntents = 0

// Budgets of the Gateway client.
const (
	// handshakeTimeout bounds the wait for HELLO and then for READY or
	// RESUMED.
	handshakeTimeout = 20 * time.Second
	// writeTimeout bounds sending one frame.
	writeTimeout = 10 * time.Second
	// maxFrameBytes bounds one frame; READY, the largest poolvisor gets,
	// lists only the IDs of the bot's guilds.
	maxFrameBytes = 8 << 20
	// minBackoff and maxBackoff bound the wait between failed connections;
	// it doubles with each failure in a row.
	minBackoff = time.Second
	maxBackoff = 2 * time.Minute
	// maxResumeFailures is how many connections in a row to the resume
	// URL may fail before the session is given up.
	maxResumeFailures = 3
	// maxOversizedFrames is how many frames over maxFrameBytes in a row
	// (with no other dispatch between them) the client starts a new
	// session for before it stops.
	maxOversizedFrames = 3
)

// gatewayFatal is a refusal that reconnecting cannot cure (a wrong token,
// for instance): the client stops and says what to fix.
type gatewayFatal struct{ msg string }

func (e *gatewayFatal) Error() string { return "discord gateway: " + e.msg }

// errReconnect is Discord asking for a new connection (RECONNECT).
var errReconnect = errors.New("discord gateway: Discord asked for a reconnection")

// invalidSession is INVALID_SESSION: the session is gone unless resumable.
type invalidSession struct{ resumable bool }

func (e *invalidSession) Error() string {
	return fmt.Sprintf("discord gateway: session invalidated (resumable: %t)", e.resumable)
}

// frameTooLarge is a frame over maxFrameBytes. It cannot be read, and a
// RESUME would have Discord replay it, so the session is given up for a
// new one; count says how many came in a row.
type frameTooLarge struct{ count int }

func (e *frameTooLarge) Error() string {
	return fmt.Sprintf("discord gateway: Discord sent a frame larger than %d MiB (%d in a row); the event in it is lost, and a new session is started instead of resuming, which would replay it",
		maxFrameBytes>>20, e.count)
}

// errOversizedStop is why the client stopped after maxOversizedFrames.
var errOversizedStop = fmt.Errorf("discord gateway: stopped after %d frames in a row larger than %d MiB, each on a new session; Discord interactions over the Gateway are off until poolvisor restarts (discord.mode: http avoids the Gateway)",
	maxOversizedFrames, maxFrameBytes>>20)

// startLimit is GET /gateway/bot saying that no session may be started
// before wait has passed.
type startLimit struct{ wait time.Duration }

func (e *startLimit) Error() string {
	return fmt.Sprintf("discord gateway: no session starts left; the next in %s", e.wait)
}

// gatewayREST is the REST call the client needs.
type gatewayREST interface {
	GatewayBot(ctx context.Context) (*GatewayBot, error)
}

// gateway keeps one Gateway session up: it identifies, heartbeats,
// resumes after a lost connection and identifies again when the session is
// gone, and hands every dispatch but READY and RESUMED to dispatch (which
// must not block).
type gateway struct {
	token    string
	rest     gatewayREST
	dispatch func(event string, data json.RawMessage)
	log      *slog.Logger
	dialer   *websocket.Dialer

	// Waits, fields so that tests can shorten them: between failed
	// connections, and before identifying after INVALID_SESSION (Discord
	// asks for a random 1 to 5 seconds).
	minBackoff, maxBackoff time.Duration
	invalidWait            func() time.Duration

	link chat.Link // up or not, and why not, for /healthz

	// The session, kept across connections; only run's goroutine writes
	// them, except seq, which the heartbeats read.
	sessionID   string
	resumeURL   string
	gatewayURL  string
	seq         atomic.Int64
	resumeFails int // connections in a row that could not be made
	oversized   int // frames over maxFrameBytes with no other dispatch since
}

func newGateway(token string, rest gatewayREST, dispatch func(string, json.RawMessage), log *slog.Logger) *gateway {
	return &gateway{
		token: token, rest: rest, dispatch: dispatch, log: log,
		dialer:     &websocket.Dialer{HandshakeTimeout: handshakeTimeout, Proxy: websocket.DefaultDialer.Proxy},
		minBackoff: minBackoff, maxBackoff: maxBackoff,
		invalidWait: func() time.Duration { return time.Second + rand.N(4*time.Second) },
	}
}

// run keeps the session up until ctx ends (then it returns nil) or
// Discord refuses it for good (then it returns why).
func (g *gateway) run(ctx context.Context) error {
	failures := 0
	for {
		ready, err := g.connect(ctx)
		g.link.Down(err)
		if ctx.Err() != nil {
			return nil
		}
		var fatal *gatewayFatal
		if errors.As(err, &fatal) {
			g.log.Error("discord: the Gateway refused poolvisor; Discord interactions stop", "err", err)
			return err
		}
		var big *frameTooLarge
		if errors.As(err, &big) && big.count >= maxOversizedFrames {
			// Discord's data, not the config, is at fault: the rest of
			// serve (Slack, HTTP, alerts) goes on, and /healthz says why
			// Discord is down instead of the client looping on new
			// sessions (each counts against the daily session starts).
			g.link.Down(errOversizedStop)
			g.log.Error("discord: Gateway stopped", "err", errOversizedStop)
			<-ctx.Done()
			return nil
		}
		if ready {
			failures = 0
		} else {
			failures++
		}
		wait := g.backoff(failures)
		var inv *invalidSession
		var limit *startLimit
		switch {
		case errors.As(err, &limit):
			wait = limit.wait
		case errors.As(err, &inv):
			wait = max(wait, g.invalidWait())
		}
		g.log.Warn("discord: Gateway connection ended; reconnecting", "err", err, "in", wait.Round(time.Millisecond),
			"resume", g.sessionID != "")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// backoff is the wait after failures connections in a row that failed.
func (g *gateway) backoff(failures int) time.Duration {
	return chat.Backoff(g.minBackoff, g.maxBackoff, failures)
}

// tooLarge handles a frame over maxFrameBytes: the session is dropped so
// that the next connection identifies afresh rather than resuming into a
// replay of the same frame.
func (g *gateway) tooLarge() error {
	g.oversized++
	g.forget()
	return &frameTooLarge{count: g.oversized}
}

// forget drops the session: the next connection identifies anew.
func (g *gateway) forget() {
	g.sessionID, g.resumeURL, g.resumeFails = "", "", 0
	g.seq.Store(0)
}

// closed turns the end of a connection into what to do next: a close code
// Discord documents as final stops the client; 4007 and 4009 need a new
// session; anything else may resume.
func (g *gateway) closed(err error) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("discord gateway: connection lost: %w", err)
	}
	switch ce.Code {
	case closeAuthFailed:
		return &gatewayFatal{"Discord refused the bot token (close 4004); set discord.bot_token to the token of the application's bot"}
	case closeInvalidShard, closeShardingRequired:
		return &gatewayFatal{fmt.Sprintf("Discord wants the bot sharded (close %d: %s); poolvisor runs one shard, so use discord.mode: http for a bot in this many servers", ce.Code, ce.Text)}
	case closeInvalidVersion, closeInvalidIntents, closeDisallowedIntent:
		return &gatewayFatal{fmt.Sprintf("Discord refused the connection (close %d: %s); this version of poolvisor does not speak this Gateway", ce.Code, ce.Text)}
	case closeInvalidSeq, closeSessionTimedOut:
		g.forget()
	}
	return fmt.Errorf("discord gateway: closed by Discord: %w", err)
}
