package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Process states (ProcessInfo.State), from supervisor/states.py.
const (
	ProcessStopped  = 0
	ProcessStarting = 10
	ProcessRunning  = 20
	ProcessBackoff  = 30
	ProcessStopping = 40
	ProcessExited   = 100
	ProcessFatal    = 200
	ProcessUnknown  = 1000
)

// supervisord's own states (GetState).
const (
	DaemonFatal      = 2
	DaemonRunning    = 1
	DaemonRestarting = 0
	DaemonShutdown   = -1
)

// ProcessInfo is one process as supervisor.getProcessInfo describes it.
type ProcessInfo struct {
	Name          string `xmlrpc:"name"`
	Group         string `xmlrpc:"group"`
	Description   string `xmlrpc:"description"`
	Start         int64  `xmlrpc:"start"` // Unix seconds, 0 if never started
	Stop          int64  `xmlrpc:"stop"`
	Now           int64  `xmlrpc:"now"`
	State         int    `xmlrpc:"state"`
	StateName     string `xmlrpc:"statename"`
	SpawnErr      string `xmlrpc:"spawnerr"`
	ExitStatus    int    `xmlrpc:"exitstatus"`
	LogFile       string `xmlrpc:"logfile"` // deprecated alias of StdoutLogfile
	StdoutLogfile string `xmlrpc:"stdout_logfile"`
	StderrLogfile string `xmlrpc:"stderr_logfile"`
	PID           int    `xmlrpc:"pid"`
}

// FullName returns the "group:name" form that names the process in every
// call, whatever its group.
func (p ProcessInfo) FullName() string { return p.Group + ":" + p.Name }

// ProcessResult is the outcome for one process of a group or all-processes
// call; Status is FaultSuccess or another fault code.
type ProcessResult struct {
	Name        string `xmlrpc:"name"`
	Group       string `xmlrpc:"group"`
	Status      int    `xmlrpc:"status"`
	Description string `xmlrpc:"description"`
}

// GetAllProcessInfo returns every process.
func (c *Client) GetAllProcessInfo(ctx context.Context) ([]ProcessInfo, error) {
	var out []ProcessInfo
	err := c.Call(ctx, "supervisor.getAllProcessInfo", &out)
	return out, err
}

// GetProcessInfo returns one process by name ("group:name", or a name that
// is also its group's).
func (c *Client) GetProcessInfo(ctx context.Context, name string) (ProcessInfo, error) {
	var out ProcessInfo
	err := c.Call(ctx, "supervisor.getProcessInfo", &out, name)
	return out, err
}

// StartProcess starts a process; with wait, supervisord answers once it is
// RUNNING (after startsecs) or has failed, and the call is given that long.
func (c *Client) StartProcess(ctx context.Context, name string, wait bool) error {
	return c.callWaiting(ctx, waitForName(true, name), wait, "supervisor.startProcess", nil, name, wait)
}

// StopProcess stops a process; with wait, supervisord answers once it has
// stopped (within stopwaitsecs, then a kill), and the call is given that long.
func (c *Client) StopProcess(ctx context.Context, name string, wait bool) error {
	return c.callWaiting(ctx, waitForName(false, name), wait, "supervisor.stopProcess", nil, name, wait)
}

// StartProcessGroup starts the processes of group not yet running.
func (c *Client) StartProcessGroup(ctx context.Context, group string, wait bool) ([]ProcessResult, error) {
	var out []ProcessResult
	err := c.callWaiting(ctx, waitFor{start: true, group: group}, wait, "supervisor.startProcessGroup", &out, group, wait)
	return out, err
}

// StopProcessGroup stops the running processes of group.
func (c *Client) StopProcessGroup(ctx context.Context, group string, wait bool) ([]ProcessResult, error) {
	var out []ProcessResult
	err := c.callWaiting(ctx, waitFor{group: group}, wait, "supervisor.stopProcessGroup", &out, group, wait)
	return out, err
}

// StartAllProcesses starts every process not yet running.
func (c *Client) StartAllProcesses(ctx context.Context, wait bool) ([]ProcessResult, error) {
	var out []ProcessResult
	err := c.callWaiting(ctx, waitFor{start: true}, wait, "supervisor.startAllProcesses", &out, wait)
	return out, err
}

// StopAllProcesses stops every running process.
func (c *Client) StopAllProcesses(ctx context.Context, wait bool) ([]ProcessResult, error) {
	var out []ProcessResult
	err := c.callWaiting(ctx, waitFor{}, wait, "supervisor.stopAllProcesses", &out, wait)
	return out, err
}

// TailProcessLog returns the last length bytes of a process's stdout (or
// stderr) log, with control characters still encoded (see RestoreControls);
// overflow reports that the log holds more than was returned.
//
// supervisord decodes the bytes as UTF-8 and answers HTTP 500 when that
// fails, which happens whenever the window starts inside a multi-byte
// character. TailProcessLog then asks again for up to three bytes less, which
// reaches a character boundary; a log holding bytes that are not UTF-8
// cannot be tailed at all and keeps the *UnreachableError.
func (c *Client) TailProcessLog(ctx context.Context, name string, stderr bool, length int) (data string, overflow bool, err error) {
	method := "supervisor.tailProcessStdoutLog"
	if stderr {
		method = "supervisor.tailProcessStderrLog"
	}
	for cut := 0; ; cut++ {
		data, overflow, err = c.tail(ctx, method, name, length-cut)
		var he *HTTPStatusError
		if err == nil || cut == utf8.UTFMax-1 || length-cut <= 1 ||
			!errors.As(err, &he) || he.StatusCode != http.StatusInternalServerError {
			return data, overflow, err
		}
	}
}

func (c *Client) tail(ctx context.Context, method, name string, length int) (data string, overflow bool, err error) {
	// The reply is [string bytes, int offset, bool overflow]. Decoding into
	// []any would give int64 and need assertions; kolo fills pre-set
	// pointers in place instead.
	var offset int64
	reply := []any{&data, &offset, &overflow}
	if err := c.Call(ctx, method, &reply, name, 0, length); err != nil {
		return "", false, err
	}
	if len(reply) != 3 {
		return "", false, fmt.Errorf("decode %s reply: %d elements, want 3", method, len(reply))
	}
	return data, overflow, nil
}

// GetAllConfigInfo returns the configuration of every process, as
// supervisord reports it (keys such as name, group, command, autostart).
func (c *Client) GetAllConfigInfo(ctx context.Context) ([]map[string]any, error) {
	var out []map[string]any
	err := c.Call(ctx, "supervisor.getAllConfigInfo", &out)
	return out, err
}

// ReloadConfig makes supervisord reread its config files and returns the
// groups added, changed and removed; it does not apply them (see
// AddProcessGroup and RemoveProcessGroup).
func (c *Client) ReloadConfig(ctx context.Context) (added, changed, removed []string, err error) {
	var out [][][]string
	if err := c.Call(ctx, "supervisor.reloadConfig", &out); err != nil {
		return nil, nil, nil, err
	}
	if len(out) != 1 || len(out[0]) != 3 {
		return nil, nil, nil, fmt.Errorf("decode supervisor.reloadConfig reply: want [[added, changed, removed]], got %v", out)
	}
	return out[0][0], out[0][1], out[0][2], nil
}

// AddProcessGroup starts managing a group that ReloadConfig reported added.
func (c *Client) AddProcessGroup(ctx context.Context, name string) error {
	return c.Call(ctx, "supervisor.addProcessGroup", nil, name)
}

// RemoveProcessGroup stops managing a group; its processes must be stopped
// (FaultStillRunning otherwise).
func (c *Client) RemoveProcessGroup(ctx context.Context, name string) error {
	return c.Call(ctx, "supervisor.removeProcessGroup", nil, name)
}

// GetState returns supervisord's state: DaemonRunning and "RUNNING" normally.
func (c *Client) GetState(ctx context.Context) (code int, name string, err error) {
	var out struct {
		Code int    `xmlrpc:"statecode"`
		Name string `xmlrpc:"statename"`
	}
	err = c.Call(ctx, "supervisor.getState", &out)
	return out.Code, out.Name, err
}

// GetSupervisorVersion returns the version of supervisord, e.g. "4.2.5".
func (c *Client) GetSupervisorVersion(ctx context.Context) (string, error) {
	var out string
	err := c.Call(ctx, "supervisor.getSupervisorVersion", &out)
	return out, err
}

// GetIdentification returns the identifier set in supervisord's config
// ("supervisor" by default).
func (c *Client) GetIdentification(ctx context.Context) (string, error) {
	var out string
	err := c.Call(ctx, "supervisor.getIdentification", &out)
	return out, err
}

// GetPID returns supervisord's process id.
func (c *Client) GetPID(ctx context.Context) (int, error) {
	var out int
	err := c.Call(ctx, "supervisor.getPID", &out)
	return out, err
}

// Restart makes supervisord stop all processes, reread its config and start
// again; it answers before doing so.
func (c *Client) Restart(ctx context.Context) error {
	return c.Call(ctx, "supervisor.restart", nil)
}
