package catalog

import "time"

// SetFlag is --set KEY=VALUE, for a directive without a flag of its own.
var SetFlag = Flag{Name: Set, Type: Repeat, Desc: "Another directive as KEY=VALUE (the value may hold spaces and ;)",
	Label: "Other settings", Hint: "One KEY=VALUE a line, for any other key (the --set flag)", Forms: BothForms}

// PoolFlags are the flags of /fpm pool create and edit (SPEC §1), in the
// order help, Discord and the forms list them.
var PoolFlags = []Flag{
	{Name: "user", Key: "user", Desc: "The user the workers run as", Label: "User", Forms: BothForms, Required: true},
	{Name: "group", Key: "group", Desc: "The group the workers run as", Label: "Group", Forms: SlackForm},
	{Name: "listen", Key: "listen", Desc: "A unix socket path or IP:PORT", Label: "Listen",
		Hint: "A unix socket path or IP:PORT; empty for the default socket", Forms: BothForms},
	{Name: "listen-owner", Key: "listen.owner", Desc: "Owner of the socket"},
	{Name: "listen-group", Key: "listen.group", Desc: "Group of the socket"},
	{Name: "listen-mode", Key: "listen.mode", Desc: "Mode of the socket, like 0660"},
	{Name: "pm", Type: Choice, Choices: []string{"static", "dynamic", "ondemand"}, Default: "dynamic", Key: "pm",
		Desc: "Process manager", Label: "Process manager", Forms: BothForms},
	{Name: "max-children", Type: Int, Default: "5", Key: "pm.max_children", Label: "Max children", Forms: BothForms},
	{Name: "start-servers", Type: Int, Default: "2", Key: "pm.start_servers", Label: "Start servers", Hint: "dynamic only", Forms: SlackForm},
	{Name: "min-spare", Type: Int, Default: "1", Key: "pm.min_spare_servers", Label: "Min spare servers", Hint: "dynamic only", Forms: SlackForm},
	{Name: "max-spare", Type: Int, Default: "3", Key: "pm.max_spare_servers", Label: "Max spare servers", Hint: "dynamic only", Forms: SlackForm},
	{Name: "max-requests", Type: Int, Key: "pm.max_requests", Label: "Max requests",
		Hint: "Requests a child serves before it is replaced; 0 for no limit", Forms: SlackForm},
	{Name: "idle-timeout", Key: "pm.process_idle_timeout", Desc: "pm.process_idle_timeout, like 10s", Label: "Idle timeout",
		Hint: "ondemand only, like 10s", Forms: SlackForm},
	{Name: "status-path", Key: "pm.status_path", Desc: "pm.status_path, like /status", Label: "Status path",
		Hint: "Like /status; empty for none", Forms: SlackForm},
	SlowlogFlag,
	{Name: "preset", Type: Choice, Choices: []string{"small", "medium", "large"}, Desc: "Sizes for a small, medium or large site"},
	SetFlag,
}

// SlowlogFlag turns a pool's slow log on or off (SPEC §6). It sets two
// directives: Key, with the duration as php-fpm writes it, and slowlog, a
// file the backend names itself in its log dir, so the user never gives a
// path a root daemon would write (internal/phpfpm, pairedDirectives).
var SlowlogFlag = Flag{Name: "slowlog", Key: "request_slowlog_timeout",
	Desc: "Log the stack of requests slower than this, like 5s; 0 turns it off"}

// ProgramFlags are the flags of /supervisor add and edit (SPEC §1).
var ProgramFlags = []Flag{
	{Name: "command", Key: "command", Desc: "The program to run, with its arguments", Label: "Command",
		Hint: "The program to run, with its arguments", Forms: BothForms, Required: true},
	{Name: "directory", Key: "directory", Desc: "Where it runs", Label: "Directory", Hint: "Where it runs", Forms: BothForms},
	{Name: "user", Key: "user", Desc: "The user it runs as", Label: "User", Hint: "The user it runs as", Forms: BothForms},
	{Name: "autostart", Type: Choice, Choices: []string{"true", "false"}, Default: "true", Key: "autostart",
		Desc: "Start with supervisord", Label: "Start with supervisord", Forms: SlackForm},
	{Name: "autorestart", Type: Choice, Choices: []string{"true", "false", "unexpected"}, Default: "unexpected", Key: "autorestart",
		Desc: "Restart when it exits", Label: "Restart when it exits", Forms: BothForms},
	{Name: "numprocs", Type: Int, Default: "1", Key: "numprocs", Desc: "How many copies run", Label: "Processes",
		Hint: "How many copies run", Forms: SlackForm},
	SetFlag,
}

// Common flags: --host, which every command takes; --php, which every
// /fpm command takes; --plan, which every write takes; and --raw, which
// an edit takes to open the whole file in a form.
var (
	HostFlag = Flag{Name: "host", Desc: "Where to run it: a host, a host group or all (fleet mode)"}
	PHPFlag  = Flag{Name: Instance, Desc: "Which PHP-FPM, where several run (default: the configured one)",
		Label: "PHP", Hint: "Which PHP-FPM the pool is for"}
	PlanFlag = Flag{Name: "plan", Type: Switch, Desc: "Validate and show what would change; apply nothing"}
	RawFlag  = Flag{Name: "raw", Type: Switch, Desc: "Edit the whole file in a form"}
	// ApplyFlag turns a command with an ApplyOp into that write.
	ApplyFlag = Flag{Name: "apply", Type: Switch, Desc: "Plan the advised edits as one write (through approval)"}
)

// Rolling: a restart a few processes at a time, a reload host after host
// (SPEC §6); and what a write to a group of hosts does when one fails.
var (
	RollingFlag = Flag{Name: "rolling", Type: Switch, Desc: "A few at a time, each healthy before the next (with --host GROUP: host after host)"}
	RollFlags   = []Flag{RollingFlag,
		{Name: "batch", Type: Int, Desc: "With --rolling: how many processes restart at a time (default 1)"},
		{Name: "settle", Type: Duration, Desc: "With --rolling: how long each must stay RUNNING (default: its startsecs + 1s)"}}
	OnFailureFlag = Flag{Name: "on-failure", Type: Choice, Choices: []string{"stop", "rollback"}, Default: "stop",
		Desc: "With --host GROUP: when a host fails, stop there, or also roll back the hosts already changed"}
)

// MaxSettle is the longest --settle a roll takes.
const MaxSettle = 10 * time.Minute

// AuditFormats are the forms /ops audit and `poolvisor audit export` write.
var AuditFormats = []string{"text", "json", "csv"}

// HostStates are what /ops hosts --state picks: healthy hosts, hosts
// with a daemon down, hosts that did not answer, or both kinds of problem.
var HostStates = []string{"ok", "unhealthy", "unreachable", "problem"}

// The flags of single commands.
var (
	StateFlag   = Flag{Name: "state", Type: Choice, Choices: HostStates, Desc: "Only hosts in this state: ok, unhealthy, unreachable, or problem (either)"}
	VersionFlag = Flag{Name: "version", Type: Int, Desc: "Show this version"}
	TuneFlags   = []Flag{{Name: "budget-mb", Type: Int, Desc: "Memory the pools may use together, in MB (default: phpfpm.memory_budget_mb, else measured)"}, ApplyFlag}
	LogFlags    = []Flag{{Name: "stderr", Type: Switch, Desc: "Read stderr instead of stdout"}, {Name: "bytes", Type: Int, Desc: "How many bytes to read"}}
	AuditFlags  = []Flag{{Name: "since", Type: Duration, Desc: "Only entries of the last DURATION, like 2h or 7d"},
		{Name: "format", Type: Choice, Choices: AuditFormats, Default: "text", Desc: "text, json (one JSON array) or csv (with a header row)"}}
	FreezeFlag  = Flag{Name: "freeze", Type: Switch, Desc: "Refuse writes meanwhile, except an approver's"}
	XMLRPCFlags = []Flag{{Name: "ip", Desc: "Address to listen on"}, {Name: "port", Type: Int, Desc: "Port to listen on"}, {Name: "username", Desc: "User name for XML-RPC"}}
)

// SlowlogFlags are the flags of /fpm slowlog.
var SlowlogFlags = []Flag{{Name: "since", Type: Duration, Desc: "Only requests logged within this long, like 1h"},
	{Name: "limit", Type: Int, Desc: "How many groups to show (default 10)"}}
