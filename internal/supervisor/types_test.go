package supervisor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// rpcColors prints what real programs print: ANSI colours, and other control
// bytes a terminal program might emit, around plain and non-ASCII text.
const rpcColors = `printf '\033[31mred\033[0m|\000\001\007\010\013\014\037|tab\there|caf\303\251|\n'
exec sleep 600
`

// rpcColorsWant is that line as RestoreControls must give it back.
const rpcColorsWant = "\x1b[31mred\x1b[0m|\x00\x01\x07\x08\x0b\x0c\x1f|tab\there|café|\n"

func rpcPrograms(t *testing.T) []sandbox.Program {
	no := false
	return []sandbox.Program{
		{Name: "web", Command: rpcSleeperCmd},
		{Name: "workers", NumProcs: 2, Command: rpcSleeperCmd},
		{Name: "idle", Autostart: &no, Command: rpcSleeperCmd},
		{Name: "colors", Command: rpcScript(t, rpcColors)},
		{
			// startsecs is long so that even a slow supervisord sees the
			// exit before the process would count as started.
			Name: "flaky", Autostart: &no, StartSecs: 10,
			Command: rpcScript(t, "echo 'boom: connection refused' >&2\nexit 1\n"),
			Extra:   map[string]string{"redirect_stderr": "false", "startretries": "0", "autorestart": "false"},
		},
	}
}

func TestClientAgainstSupervisord(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, rpcPrograms(t)...)
	c := rpcClient(t, s, 0)
	ctx := context.Background()
	for _, name := range []string{"web", "workers:workers_00", "workers:workers_01", "colors"} {
		rpcWaitState(t, c, name, "RUNNING")
	}

	t.Run("daemon info", func(t *testing.T) {
		code, name, err := c.GetState(ctx)
		if err != nil || code != DaemonRunning || name != "RUNNING" {
			t.Errorf("GetState = %d %q %v", code, name, err)
		}
		if v, err := c.GetSupervisorVersion(ctx); err != nil || !strings.HasPrefix(v, "4.") {
			t.Errorf("GetSupervisorVersion = %q %v", v, err)
		}
		if id, err := c.GetIdentification(ctx); err != nil || id != "supervisor" {
			t.Errorf("GetIdentification = %q %v", id, err)
		}
		if pid, err := c.GetPID(ctx); err != nil || pid != s.PID {
			t.Errorf("GetPID = %d %v, want %d", pid, err, s.PID)
		}
		if c.URL() != s.URL {
			t.Errorf("URL() = %q, want %q", c.URL(), s.URL)
		}
	})

	t.Run("process info", func(t *testing.T) {
		all, err := c.GetAllProcessInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range all {
			names = append(names, p.FullName())
		}
		want := []string{"colors:colors", "flaky:flaky", "idle:idle", "web:web", "workers:workers_00", "workers:workers_01"}
		if !slices.Equal(names, want) {
			t.Errorf("processes %v, want %v", names, want)
		}
		web, err := c.GetProcessInfo(ctx, "web:web")
		if err != nil {
			t.Fatal(err)
		}
		if web.State != ProcessRunning || web.PID <= 0 || web.Start == 0 || web.Now < web.Start ||
			!strings.HasSuffix(web.StdoutLogfile, "/log/web.log") || web.LogFile != web.StdoutLogfile ||
			!strings.Contains(web.Description, "pid") {
			t.Errorf("GetProcessInfo(web) = %+v", web)
		}
		idle, err := c.GetProcessInfo(ctx, "idle")
		if err != nil || idle.State != ProcessStopped || idle.PID != 0 {
			t.Errorf("GetProcessInfo(idle) = %+v, %v", idle, err)
		}
	})

	t.Run("start and stop one process", func(t *testing.T) {
		if err := c.StartProcess(ctx, "idle", true); err != nil {
			t.Fatalf("StartProcess: %v", err)
		}
		if info, _ := c.GetProcessInfo(ctx, "idle"); info.StateName != "RUNNING" {
			t.Errorf("after a waiting start, state %s", info.StateName)
		}
		if err := c.StopProcess(ctx, "idle", true); err != nil {
			t.Fatalf("StopProcess: %v", err)
		}
		if info, _ := c.GetProcessInfo(ctx, "idle"); info.StateName != "STOPPED" {
			t.Errorf("after a waiting stop, state %s", info.StateName)
		}
	})

	t.Run("groups", func(t *testing.T) {
		res, err := c.StopProcessGroup(ctx, "workers", true)
		rpcAssertResults(t, res, err, "workers", FaultSuccess, 2)
		res, err = c.StartProcessGroup(ctx, "workers", true)
		rpcAssertResults(t, res, err, "workers", FaultSuccess, 2)
	})

	t.Run("faults", func(t *testing.T) {
		tests := []struct {
			name string
			call func() error
			code int
		}{
			{"unknown process", func() error { _, err := c.GetProcessInfo(ctx, "nope"); return err }, FaultBadName},
			{"start unknown", func() error { return c.StartProcess(ctx, "nope", false) }, FaultBadName},
			{"stop unknown group", func() error { _, err := c.StopProcessGroup(ctx, "nope", false); return err }, FaultBadName},
			{"start running", func() error { return c.StartProcess(ctx, "web", false) }, FaultAlreadyStarted},
			{"stop stopped", func() error { return c.StopProcess(ctx, "idle", false) }, FaultNotRunning},
			{"program dies at start", func() error { return c.StartProcess(ctx, "flaky", true) }, FaultSpawnError},
			{"unknown method", func() error { return c.Call(ctx, "supervisor.noSuchMethod", nil) }, FaultUnknownMethod},
			{"missing argument", func() error { return c.Call(ctx, "supervisor.getProcessInfo", nil) }, FaultIncorrectParameters},
			{"remove unknown group", func() error { return c.RemoveProcessGroup(ctx, "nope") }, FaultBadName},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				var f *Fault
				if !errors.As(err, &f) {
					t.Fatalf("got %T %v, want *Fault", err, err)
				}
				if f.Code != tt.code || f.Name != FaultName(tt.code) || !IsFault(err, tt.code) {
					t.Errorf("got fault %d %s (%q), want %d %s", f.Code, f.Name, f.Text, tt.code, FaultName(tt.code))
				}
			})
		}
	})

	t.Run("tail log with control bytes", func(t *testing.T) {
		data, overflow, err := c.TailProcessLog(ctx, "colors", false, 4096)
		if err != nil {
			t.Fatalf("TailProcessLog: %v", err)
		}
		if overflow || !strings.Contains(data, "\ue01b[31m") {
			t.Errorf("data %q overflow %v, want the ESC as U+E01B", data, overflow)
		}
		if got := RestoreControls(data); got != rpcColorsWant {
			t.Errorf("RestoreControls = %q, want %q", got, rpcColorsWant)
		}
		// The line ends in "café|\n"; é is two bytes.
		for _, tt := range []struct {
			length int
			want   string
		}{
			{7, "café|\n"},
			{5, "fé|\n"},
			{3, "|\n"}, // starts inside é: supervisord fails, the client cuts a byte
		} {
			data, overflow, err := c.TailProcessLog(ctx, "colors", false, tt.length)
			if err != nil || !overflow || data != tt.want {
				t.Errorf("tail %d = %q, %v, %v; want %q and overflow", tt.length, data, overflow, err, tt.want)
			}
		}
		data, _, err = c.TailProcessLog(ctx, "flaky", true, 1024)
		if err != nil || data != "boom: connection refused\n" {
			t.Errorf("stderr tail = %q, %v", data, err)
		}
	})

	t.Run("config info", func(t *testing.T) {
		infos, err := c.GetAllConfigInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var web map[string]any
		for _, info := range infos {
			if info["name"] == "web" {
				web = info
			}
		}
		if web == nil || web["command"] != rpcSleeperCmd || web["group"] != "web" || web["autostart"] != true {
			t.Errorf("config of web = %v", web)
		}
	})

	t.Run("decode mismatch is a plain error", func(t *testing.T) {
		var wrong []int
		err := c.Call(ctx, "supervisor.getState", &wrong)
		var f *Fault
		var ue *UnreachableError
		if err == nil || errors.As(err, &f) || errors.As(err, &ue) {
			t.Errorf("got %T %v, want a plain decoding error", err, err)
		}
	})

	t.Run("reload, add and remove groups", func(t *testing.T) {
		if _, err := s.WriteProgram(sandbox.Program{Name: "extra", Command: rpcSleeperCmd, Extra: map[string]string{"startsecs": "0"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteProgram(sandbox.Program{Name: "idle", Command: "/bin/sleep 600", Autostart: new(bool)}); err != nil {
			t.Fatal(err)
		}
		added, changed, removed, err := c.ReloadConfig(ctx)
		if err != nil || !slices.Equal(added, []string{"extra"}) || !slices.Equal(changed, []string{"idle"}) || len(removed) != 0 {
			t.Fatalf("ReloadConfig = %v %v %v %v", added, changed, removed, err)
		}
		if err := c.AddProcessGroup(ctx, "extra"); err != nil {
			t.Fatalf("AddProcessGroup: %v", err)
		}
		if err := c.AddProcessGroup(ctx, "extra"); !IsFault(err, FaultAlreadyAdded) {
			t.Errorf("second AddProcessGroup: %v, want ALREADY_ADDED", err)
		}
		rpcWaitState(t, c, "extra", "RUNNING")
		if err := c.RemoveProcessGroup(ctx, "extra"); !IsFault(err, FaultStillRunning) {
			t.Errorf("RemoveProcessGroup of a running group: %v, want STILL_RUNNING", err)
		}
		if _, err := c.StopProcessGroup(ctx, "extra", true); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveProcessGroup(ctx, "extra"); err != nil {
			t.Errorf("RemoveProcessGroup: %v", err)
		}
	})

	t.Run("all processes", func(t *testing.T) {
		res, err := c.StopAllProcesses(ctx, true)
		if err != nil || len(res) != 4 {
			t.Fatalf("StopAllProcesses = %v, %v; want the 4 running processes", res, err)
		}
		res, err = c.StartAllProcesses(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range res {
			got[r.Group+":"+r.Name] = r.Status
		}
		if got["web:web"] != FaultSuccess || got["flaky:flaky"] != FaultAbnormalTermination && got["flaky:flaky"] != FaultSpawnError {
			t.Errorf("StartAllProcesses statuses %v", got)
		}
	})

	t.Run("restart", func(t *testing.T) {
		if err := c.Restart(ctx); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		rpcWaitUp(t, c)
		rpcWaitState(t, c, "web", "RUNNING")
	})
}

func rpcAssertResults(t *testing.T, res []ProcessResult, err error, group string, status, n int) {
	t.Helper()
	if err != nil || len(res) != n {
		t.Fatalf("got %v, %v; want %d results", res, err, n)
	}
	for _, r := range res {
		if r.Group != group || r.Status != status || r.Name == "" {
			t.Errorf("result %+v, want group %s status %d", r, group, status)
		}
	}
}

func TestProcessInfoFullName(t *testing.T) {
	tests := []struct {
		info ProcessInfo
		want string
	}{
		{ProcessInfo{Name: "web", Group: "web"}, "web:web"},
		{ProcessInfo{Name: "queue_01", Group: "queue"}, "queue:queue_01"},
	}
	for _, tt := range tests {
		if got := tt.info.FullName(); got != tt.want {
			t.Errorf("FullName(%+v) = %q, want %q", tt.info, got, tt.want)
		}
	}
}

func TestClientTailNotUTF8(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "binary", Command: rpcScript(t, "printf 'a\\377b\\n'\nexec sleep 600\n")})
	c := rpcClient(t, s, 0)
	rpcWaitState(t, c, "binary", "RUNNING")
	// supervisord cannot put bytes that are not UTF-8 into a response and
	// answers HTTP 500; the client says so and keeps working.
	_, _, err := c.TailProcessLog(context.Background(), "binary", false, 100)
	var he *HTTPStatusError
	if ue := assertUnreachable(t, err, s.URL); !errors.As(ue, &he) || he.StatusCode != 500 {
		t.Errorf("got %v, want HTTP 500", err)
	}
	rpcWaitUp(t, c)
}
