package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// Config is what the backend needs from poolvisor's configuration.
type Config struct {
	Host       string // this host's name, for messages
	URL        string // unix:///path or http://host:port
	Username   string
	Password   string
	ConfigFile string // supervisord.conf
	ProgramDir string // where new programs get a file of their own
	// Writable lists the globs of the files programs may be edited in
	// (supervisor.writable); empty: supervisord's [include] files.
	Writable []string
	// EditMainConfig lets programs in ConfigFile itself be edited.
	EditMainConfig bool
	LogDir         string
	// Policy is the write policy: whom programs may run as, where their
	// logs may go.
	Policy writepolicy.Policy
	// EventsCommand is the command line of `poolvisor events` that the
	// event listener runs; empty when it cannot be installed.
	EventsCommand string
	// EventsRefused says why EventsCommand is empty.
	EventsRefused string
	// SkipDaemonCheck lets writes go ahead when supervisord's own config
	// check cannot run on this host (supervisor.check: skip). Unsafe: then
	// only poolvisor's parser and the reread after writing judge a change.
	SkipDaemonCheck bool
	// CallTimeout bounds one XML-RPC call (default 5 s), so a hung
	// supervisord is reported, never waited on.
	CallTimeout time.Duration
	// WaitTimeout bounds how long start, stop and restart wait for processes
	// to settle (default 60 s).
	WaitTimeout time.Duration
	// PollInterval is how often settling processes are looked at (default 200 ms).
	PollInterval time.Duration
	// StagingDir is where supervisord's own check reads its staged copies of
	// the config files (secrets included): the process's directory inside
	// data_dir, swept at the next start if the process dies. Empty: the
	// system's temporary directory (tests and library use).
	StagingDir string
}

// Backend runs the supervisor.* operations against one supervisord.
type Backend struct {
	cfg    Config
	client *Client
	log    *slog.Logger
	local  bool // supervisord listens on a unix socket, so its log files are on this host
	// python finds the interpreter that has supervisord's code, for its
	// own config check (supervisordPython; tests replace it).
	python func() string
	reads  coalescer
	live   live
}

// New returns a Backend. It does not contact supervisord: the bot starts and
// keeps running while supervisord is down, and answers failed until it is back.
func New(cfg Config, log *slog.Logger) (*Backend, error) {
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = 60 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	c, err := NewClient(cfg.URL, cfg.Username, cfg.Password, cfg.CallTimeout)
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	b := &Backend{cfg: cfg, client: c, log: log, local: strings.HasPrefix(cfg.URL, "unix://"), python: supervisordPython}
	b.live.kick = make(chan struct{}, 1)
	c.changing = b.invalidate
	b.announceDaemonCheck()
	return b, nil
}

// Client returns the backend's XML-RPC client.
func (b *Backend) Client() *Client { return b.client }

// Handlers returns the handlers of every supervisor.* operation this backend runs.
func (b *Backend) Handlers() map[string]ops.Handler {
	return map[string]ops.Handler{
		"supervisor.program.list":    ops.ReadFunc(b.list),
		"supervisor.program.show":    ops.ReadFunc(b.show),
		"supervisor.program.logs":    ops.ReadFunc(b.logs),
		"supervisor.service.status":  ops.ReadFunc(b.info),
		"supervisor.service.reread":  ops.ReadFunc(b.reread),
		"supervisor.program.start":   control{b, actionStart},
		"supervisor.program.stop":    control{b, actionStop},
		"supervisor.program.restart": control{b, actionRestart},
		"supervisor.program.signal":  signalControl{b},
		"supervisor.program.add":     programWrite{b, true},
		"supervisor.program.edit":    programWrite{b, false},
		"supervisor.program.delete":  programDelete{b},
		"supervisor.service.update":  updateHandler{b},
		"supervisor.xmlrpc.show":     ops.ReadFunc(b.xmlrpcShow),
		"supervisor.xmlrpc.set":      xmlrpcSet{b},
		"supervisor.events.manage":   eventsManage{b},
		"supervisor.service.restart": restartService{b},
	}
}

// Health reports whether supervisord answers.
func (b *Backend) Health(ctx context.Context) ops.Component {
	_, name, err := b.client.GetState(ctx)
	if err != nil {
		return ops.Component{Name: "supervisord", OK: false, Info: userText(b, err)}
	}
	return ops.Component{Name: "supervisord", OK: name == "RUNNING", Info: name}
}

// userError turns a client error into an ops error a user can act on.
func (b *Backend) userError(err error, what string) error {
	var f *Fault
	var u *UnreachableError
	var te *TimeoutError
	switch {
	case errors.As(err, &u):
		return ops.Fail(err, "supervisord at %s did not answer (%s); is it running?", b.client.URL(), reason(u.Err))
	case errors.As(err, &te):
		return ops.Fail(err, "%s; it is running but busy or hung", te)
	case errors.As(err, &f):
		switch f.Code {
		case FaultBadName:
			return &ops.Error{Status: ops.StatusInvalid, Msg: fmt.Sprintf("no program named %s on %s", what, b.cfg.Host), Err: err}
		case FaultAlreadyStarted:
			return ops.Invalidf("%s is already running", what)
		case FaultNotRunning:
			return ops.Invalidf("%s is not running", what)
		case FaultNoFile:
			return ops.Invalidf("%s has no log file to read", what)
		case FaultShutdownState:
			return ops.Fail(err, "supervisord is shutting down; try again in a moment")
		case FaultCantReread:
			return ops.Fail(err, "supervisord cannot read its configuration: %s", f.Text)
		}
		return ops.Fail(err, "supervisord refused %s: %s %s", what, f.Name, f.Text)
	}
	return ops.Fail(err, "talking to supervisord failed")
}

func userText(b *Backend, err error) string {
	_, msg := ops.UserError(b.userError(err, ""))
	return msg
}

// reason shortens a transport error to what an operator needs to know.
func reason(err error) string {
	switch {
	case err == nil:
		return "no answer"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return err.Error()
}
