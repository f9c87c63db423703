// Package slack is poolvisor's Slack surface (SPEC §4): slash commands,
// buttons and modals, over HTTP (verified with the signing secret) or Socket
// Mode. Every input becomes command text (or, for a raw file edit, an
// ops.Operation) run through the one core pipeline as the Slack user who
// asked; every result is rendered with Block Kit within Slack's limits.
//
// Slack wants an answer within three seconds. Work runs in the background;
// a result ready within fastAnswer is the answer itself, anything slower is
// acknowledged at once and posted when done, to the response_url (five uses
// in thirty minutes) or with chat.postMessage.
package slack

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/background"
)

// Runner is the part of the core pipeline this adapter uses.
type Runner = chat.Runner

// API is the part of Slack's Web API this adapter calls. *slackgo.Client
// implements it; tests may give it anything else.
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slackgo.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slackgo.MsgOption) (string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slackgo.MsgOption) (string, string, string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slackgo.ModalViewRequest) (*slackgo.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slackgo.ModalViewRequest, externalID, hash, viewID string) (*slackgo.ViewResponse, error)
	GetUserGroupsContext(ctx context.Context, options ...slackgo.GetUserGroupsOption) ([]slackgo.UserGroup, error)
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slackgo.GetUserGroupMembersOption) ([]string, error)
	// A long document goes as a file (file.go): conversations.open, then
	// files.uploadV2's getUploadURLExternal, upload, completeUploadExternal.
	OpenConversationContext(ctx context.Context, params *slackgo.OpenConversationParameters) (*slackgo.Channel, bool, bool, error)
	UploadFileContext(ctx context.Context, params slackgo.UploadFileParameters) (*slackgo.FileSummary, error)
}

// Claimer records deliveries so that each is applied at most once
// (internal/dedupe implements it).
type Claimer = chat.Claimer

// Modes of Config.Mode.
const (
	ModeHTTP   = "http"
	ModeSocket = "socket"
)

// Config is what the adapter needs from poolvisor's configuration.
type Config struct {
	Mode          string // ModeHTTP or ModeSocket
	BotToken      string
	AppToken      string // Socket Mode
	SigningSecret string // HTTP mode
	APIURL        string // Web API base URL; empty: Slack's own
	NotifyChannel string // approval requests are also posted here
	// Usergroups lists the user group IDs that RBAC binds. Only their
	// members are looked up; nil looks up every group, empty none.
	Usergroups []string
	// PoolDefaults prefill the form of /fpm pool create.
	PoolDefaults PoolDefaults
	// PHPInstances are this host's PHP-FPM instances when it runs several
	// (SPEC §6): the form of /fpm pool create then asks which, starting
	// at DefaultPHP. Empty: no such field, the default instance is meant.
	PHPInstances []string
	DefaultPHP   string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observe, when set, is told of every Web API call (metrics).
	Observe func(method string, failed, rateLimited bool)
}

// PoolDefaults are the values a new pool's form starts with.
type PoolDefaults struct {
	User, Group, PM string
}

// Adapter is the Slack surface. Build it with New, mount its HTTP handlers
// or call Run for Socket Mode, and call Run in either mode so that work in
// flight finishes on shutdown.
type Adapter struct {
	cfg       Config
	run       Runner
	api       API
	claims    Claimer
	log       *slog.Logger
	groups    *groupCache
	responses *responseURLs
	approvals *approvalMessages
	wait      time.Duration // how long an answer may take to be inline (fastAnswer)
	// progressGap is the least time between updates of a run's progress
	// message (chat.ProgressGap; shorter in tests).
	progressGap time.Duration
	connected   atomic.Bool // Socket Mode is connected

	bg *background.Group // work apart from requests; drained by Run
}

// Option changes how New builds the adapter.
type Option func(*Adapter)

// New builds the adapter. It does not contact Slack.
func New(cfg Config, run Runner, claims Claimer, log *slog.Logger, opts ...Option) *Adapter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{cfg: cfg, run: run, claims: claims, log: log, wait: fastAnswer, progressGap: chat.ProgressGap}
	a.api = slackgo.New(cfg.BotToken, clientOptions(cfg)...)
	for _, o := range opts {
		o(a)
	}
	if cfg.Observe != nil {
		a.api = observedAPI{API: a.api, observe: cfg.Observe}
	}
	a.groups = newGroupCache(a.api, cfg.Usergroups, cfg.Now, log)
	a.responses = newResponseURLs(cfg.Now)
	if a.approvals == nil { // no WithPosted
		a.approvals = newApprovalMessages(nil, cfg.Now)
	}
	a.bg = background.New("slack", log)
	return a
}

func clientOptions(cfg Config) []slackgo.Option {
	var opts []slackgo.Option
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slackgo.OptionAPIURL(u))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(cfg.AppToken))
	}
	return opts
}

// Run serves until ctx ends: in Socket Mode it holds the connection to
// Slack; in HTTP mode the handlers serve and Run only waits. Either way it
// then lets work in flight finish (background.Group.Serve) before returning.
func (a *Adapter) Run(ctx context.Context) error {
	var conn func(context.Context) error
	if a.cfg.Mode == ModeSocket {
		conn = a.runSocket
	}
	return a.bg.Serve(ctx, conn)
}

// claim records a delivery and reports whether it is the first (see
// chat.Claim).
func (a *Adapter) claim(ctx context.Context, key string) (bool, error) {
	return chat.Claim(ctx, a.claims, a.log, "slack", key)
}

// storeFailed answers a delivery that could not be recorded.
func storeFailed() *reply {
	return ephemeral(RenderText(":x: poolvisor could not record this request (its database failed), so nothing was done. Try again in a moment."))
}
