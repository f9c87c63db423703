// Package mattermost is poolvisor's Mattermost surface (SPEC §6): the
// slash commands /fpm, /supervisor and /ops, approval and alert buttons
// as message attachments' actions, and alerts in a notify channel.
//
// Mattermost calls poolvisor over HTTP: POST /mattermost/commands with a
// slash command's form, verified by the command's token, and POST
// /mattermost/actions when a button is clicked and POST
// /mattermost/dialogs when a form is submitted, both verified by the HMAC
// that poolvisor put in the button's context or the dialog's state
// (sign.go), since Mattermost signs neither. Every input becomes command text run through the one core
// pipeline as the Mattermost user who asked; every result is rendered as
// Markdown (render.go), whose tables Mattermost draws.
//
// Mattermost waits commandTimeout for a slash command's answer. Work runs
// in the background; a result ready within fastAnswer is the answer
// itself, anything slower is acknowledged and posted to the command's
// response_url when done. Approval requests are posts of the bot's own
// (POST /api/v4/posts), so that a decision can replace their buttons
// (PUT /api/v4/posts/{id}) wherever they were posted.
//
// In websocket mode (websocket.go) poolvisor also connects out to the
// server's websocket and takes commands posted to the bot (wsposts.go),
// so a host Mattermost cannot reach still serves it; the HTTP endpoints
// then serve only when public_url is set.
package mattermost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/background"
	"github.com/poolvisor/poolvisor/adapters/chat/posted"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// ModeHTTP: Mattermost calls poolvisor's endpoints. (ModeWebsocket, in
// websocket.go, reads posts over the server's websocket besides.)
const ModeHTTP = "http"

// Commands are the slash commands, each the first word of the grammar.
var Commands = []string{"fpm", "supervisor", "ops"}

// Config is what the adapter needs from poolvisor's configuration.
type Config struct {
	// Mode is ModeHTTP (default) or ModeWebsocket.
	Mode string
	// URL is the Mattermost server, like https://chat.example.com.
	URL      string
	BotToken string
	// CommandTokens are the tokens of the slash commands, by the first
	// word of the grammar they stand for (fpm, supervisor, ops); a
	// command without a token is refused.
	CommandTokens map[string]string
	// ActionSecret signs the context of buttons.
	ActionSecret string
	// PublicURL is poolvisor as Mattermost reaches it, like
	// https://poolvisor.example.com: buttons call PublicURL +
	// /mattermost/actions. Only websocket mode may leave it empty: its
	// posts then have no buttons (approvers type /ops approve ID).
	PublicURL       string
	NotifyChannelID string
	// LookupGroups asks Mattermost for the groups of each user, when
	// RBAC binds any.
	LookupGroups bool
	// Observe, if set, is told of every REST call: its route (like
	// "posts.create"), whether it failed, and whether it was rate
	// limited (HTTP 429).
	Observe func(route string, failed, rateLimited bool)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Adapter is the Mattermost surface. Build it with New, mount Routes and
// call Run, so that work in flight finishes on shutdown.
type Adapter struct {
	cfg       Config
	run       chat.Runner
	api       API
	claims    chat.Claimer
	log       *slog.Logger
	sign      signer
	actionURL string
	dialogURL string
	approvals *posted.Tracker[postRef]
	health    *health
	wait      time.Duration // how long an answer may take to be inline
	bg        *background.Group
	ws        *wsConn // websocket mode's connection
	// remembered, when set (tests), is told each approval request whose
	// posts are all remembered, so a test clicks only after that.
	remembered chan<- string
}

// Option changes how New builds the adapter.
type Option func(*Adapter)

// WithPosted keeps where approval requests were posted in s (the embedded
// database), so that a decision after a restart still replaces their
// buttons. Without it they are remembered in memory.
func WithPosted(s *posted.Store) Option {
	return func(a *Adapter) { a.approvals = posted.New[postRef](s, postedPlatform, a.cfg.Now) }
}

// WithAPI replaces the REST client (tests).
func WithAPI(api API) Option { return func(a *Adapter) { a.api = api } }

// idRE matches a Mattermost ID: users, channels and posts alike.
var idRE = regexp.MustCompile(`^[a-z0-9]{26}$`)

// New builds the adapter. It does not contact Mattermost.
func New(cfg Config, run chat.Runner, claims chat.Claimer, log *slog.Logger, opts ...Option) (*Adapter, error) {
	base, err := url.Parse(cfg.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("mattermost: url %q is not an http(s) URL", cfg.URL)
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeHTTP
	}
	if cfg.Mode != ModeHTTP && cfg.Mode != ModeWebsocket {
		return nil, fmt.Errorf("mattermost: mode %q is neither %s nor %s", cfg.Mode, ModeHTTP, ModeWebsocket)
	}
	var actionURL, dialogURL string
	if cfg.PublicURL != "" || cfg.Mode == ModeHTTP {
		pub, err := url.Parse(cfg.PublicURL)
		if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
			return nil, fmt.Errorf("mattermost: public_url %q is not an http(s) URL", cfg.PublicURL)
		}
		if cfg.ActionSecret == "" {
			return nil, errors.New("mattermost: action_secret is required: it signs the buttons' context")
		}
		actionURL = strings.TrimSuffix(pub.String(), "/") + actionsPath
		dialogURL = strings.TrimSuffix(pub.String(), "/") + dialogsPath
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		cfg: cfg, run: run, claims: claims, log: log,
		sign:      signer{key: []byte(cfg.ActionSecret)},
		actionURL: actionURL,
		dialogURL: dialogURL,
		health:    &health{},
		ws:        newWSConn(),
		wait:      fastAnswer,
		bg:        background.New("mattermost", log),
	}
	a.api = newRESTClient(base, cfg.BotToken, cfg.Observe, a.health)
	for _, o := range opts {
		o(a)
	}
	if a.approvals == nil {
		a.approvals = posted.New[postRef](nil, postedPlatform, cfg.Now)
	}
	return a, nil
}

// Endpoints, relative to serve's listen address.
const (
	commandsPath = "/mattermost/commands"
	actionsPath  = "/mattermost/actions"
)

// Handler serves both endpoints (tests mount it alone).
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range a.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

// drainTimeout bounds how long shutdown waits for work in flight.
const drainTimeout = 20 * time.Second

// Run serves until ctx ends (the handlers do the work, and in websocket
// mode the connection), then lets work in flight finish, up to
// drainTimeout.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.Mode == ModeWebsocket {
		err := a.runWebsocket(ctx)
		a.bg.Drain(drainTimeout)
		return err
	}
	<-ctx.Done()
	a.bg.Drain(drainTimeout)
	return nil
}

// claim records a delivery and reports whether it is the first.
func (a *Adapter) claim(ctx context.Context, key string) (bool, error) {
	return chat.Claim(ctx, a.claims, a.log, "mattermost", key)
}

func (a *Adapter) spawn(f func(ctx context.Context)) { a.bg.Go(f) }

func (a *Adapter) within(work func(context.Context) ops.Result, late func(context.Context, ops.Result)) (ops.Result, bool) {
	return a.bg.Within(a.wait, work, late)
}

// actor is the Mattermost user who asked in channel (which, on a fleet
// hub, chooses the default host), with their groups when RBAC binds any.
// A failed lookup leaves the groups out: the user then has only what is
// bound to them by ID, never more.
func (a *Adapter) actor(ctx context.Context, userID, userName, channel string) ops.Actor {
	act := ops.Actor{Platform: "mattermost", ID: userID, Name: userName, Channel: channel}
	if a.cfg.LookupGroups {
		groups, err := a.api.UserGroups(ctx, userID)
		if err != nil {
			a.log.Warn("mattermost: could not look up a user's groups; only their own bindings apply", "user", userID, "err", err)
		}
		act.Groups = groups
	}
	return act
}

// health is what the REST calls last said of the connection to
// Mattermost.
type health struct {
	mu   sync.Mutex
	last error
}

func (h *health) record(err error) {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status/100 == 4 && ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden {
		err = nil // one post refused says nothing of the connection
	}
	h.mu.Lock()
	h.last = err
	h.mu.Unlock()
}

func (h *health) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}
