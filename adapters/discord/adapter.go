// Package discord is poolvisor's Discord surface (SPEC §4): application
// commands with autocomplete, approval buttons and modal forms. The
// interactions arrive over the Gateway (discord.mode: gateway, an outbound
// websocket, answered through the REST callback endpoint) or at the HTTP
// interactions endpoint (discord.mode: http, verified with Ed25519
// against the application's public key); both take the same path. Every
// input becomes command text run through the one core pipeline as the
// member who asked; every result is rendered as embeds within Discord's
// limits.
//
// Discord wants an answer within three seconds. Work runs in the
// background; a result ready within fastAnswer is the answer itself,
// anything slower is deferred (type 5, or 6 for a click) and the original
// response edited when done.
package discord

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/background"
	"github.com/poolvisor/poolvisor/adapters/names"
)

// Runner is the part of the core pipeline this adapter uses.
type Runner = chat.Runner

// Claimer records deliveries so that each is applied at most once
// (internal/dedupe implements it).
type Claimer = chat.Claimer

// Modes of Config.Mode.
const (
	ModeHTTP    = "http"
	ModeGateway = "gateway"
)

// Config is what the adapter needs from poolvisor's configuration.
type Config struct {
	Mode            string // ModeGateway (the default when empty) or ModeHTTP
	BotToken        string
	ApplicationID   string
	PublicKey       string   // hex; required in HTTP mode
	GuildIDs        []string // where commands are registered; none: globally
	APIURL          string   // REST base URL; empty: Discord's own
	NotifyChannelID string   // approval requests and alerts are also posted here
	// Observe, if set, is told of every REST call: its route (like
	// "message.create"), whether it failed, and whether it was rate
	// limited (HTTP 429).
	Observe func(route string, failed, rateLimited bool)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Adapter is the Discord surface. Build it with New, mount Handler, and
// call Run so that commands are registered and work in flight finishes on
// shutdown.
type Adapter struct {
	cfg       Config
	key       ed25519.PublicKey
	run       Runner
	api       API
	claims    Claimer
	log       *slog.Logger
	approvals *approvalMessages
	lists     *names.Cache
	plans     *planStore    // the commands of long form plans' Apply buttons
	alerts    *alertActions // the commands of long alert buttons
	wait      time.Duration // how long an answer may take to be inline (fastAnswer)
	// progressGap is the least time between updates of a run's progress
	// message (chat.ProgressGap; shorter in tests).
	progressGap time.Duration

	gw        *gateway   // gateway mode only
	callbacks *callbacks // gateway mode: answers on their way

	bg *background.Group // work apart from requests; drained by Run
}

// Option changes how New builds the adapter.
type Option func(*Adapter)

// New builds the adapter. It does not contact Discord.
func New(cfg Config, run Runner, claims Claimer, log *slog.Logger, opts ...Option) (*Adapter, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeGateway
	}
	if cfg.Mode != ModeGateway && cfg.Mode != ModeHTTP {
		return nil, fmt.Errorf("discord: unknown mode %q; set discord.mode to gateway or http", cfg.Mode)
	}
	// The public key verifies HTTP interactions; gateway mode serves the
	// endpoint too when it is given, which eases moving between modes.
	var key ed25519.PublicKey
	if cfg.PublicKey != "" || cfg.Mode == ModeHTTP {
		var err error
		if key, err = ParsePublicKey(cfg.PublicKey); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{cfg: cfg, key: key, run: run, claims: claims, log: log, wait: fastAnswer, progressGap: chat.ProgressGap}
	a.api = newRESTClient(cfg.APIURL, cfg.BotToken, cfg.Observe)
	for _, o := range opts {
		o(a)
	}
	if cfg.Mode == ModeGateway {
		a.callbacks = newCallbacks(cfg.Now)
		a.api = answeredFirst{API: a.api, callbacks: a.callbacks}
		a.gw = newGateway(cfg.BotToken, a.api, a.onDispatch, log)
	}
	if a.approvals == nil { // no WithPosted
		a.approvals = newApprovalMessages(nil, cfg.Now)
	}
	a.lists = names.NewCache(cfg.Now)
	if a.plans == nil { // no WithPosted
		a.plans = newPlanStore(nil, cfg.Now)
	}
	if a.alerts == nil { // no WithPosted
		a.alerts = newAlertActions(nil, cfg.Now)
	}
	a.bg = background.New("discord", log)
	return a, nil
}

// Run registers the commands, then serves until ctx ends: in gateway mode
// it keeps the Gateway session up, in HTTP mode the handler does the work.
// Then it lets work in flight finish (background.Group.Serve). It returns an
// error only when Discord refuses the Gateway session for good (a wrong
// bot token, for instance).
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.Register(ctx); err != nil {
		// Discord still serves the commands registered before.
		a.log.Error("discord: could not register the application commands", "err", err)
	}
	var conn func(context.Context) error
	if a.gw != nil {
		conn = a.gw.run
	}
	return a.bg.Serve(ctx, conn)
}

// claim records a delivery and reports whether it is the first (see
// chat.Claim).
func (a *Adapter) claim(ctx context.Context, key string) (bool, error) {
	return chat.Claim(ctx, a.claims, a.log, "discord", key)
}
