package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	stdmaps "maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/sandbox/natsbox"
	"github.com/poolvisor/poolvisor/internal/supervisor"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// These tests run three agents on a real nats-server, each on its own real
// supervisord with a group of four processes, and a hub pipeline.

var rollHosts = []string{"web-01", "web-02", "worker-01"}

type realFleet struct {
	*fleetEnv
	clients map[string]*supervisor.Client
}

func newRealFleet(t *testing.T) *realFleet {
	t.Helper()
	f := &realFleet{clients: map[string]*supervisor.Client{}}
	backends := map[string]map[string]ops.Handler{}
	for _, host := range rollHosts {
		sv := sandbox.Supervisor(t, sandbox.Program{Name: "queue", NumProcs: 4,
			Command: `/bin/sh -c "while true; do sleep 600; done"`, Extra: map[string]string{"startsecs": "0"}})
		b, err := supervisor.New(supervisor.Config{Host: host, URL: sv.URL, ConfigFile: sv.ConfigFile, ProgramDir: sv.ProgramDir,
			LogDir: sv.LogDir, CallTimeout: 10 * time.Second, WaitTimeout: time.Minute, PollInterval: 20 * time.Millisecond,
			Policy: writepolicy.Policy{ProgramUsers: []string{"root", "nobody"}}}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		c, err := supervisor.NewClient(sv.URL, "", "", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		backends[host], f.clients[host] = b.Handlers(), c
	}
	srv := natsbox.Start(t, nil)
	f.fleetEnv = newFleetWith(t, srv, func(string) *nats.Conn { return connect(t, srv.URL()) },
		func(host string) map[string]ops.Handler { return backends[host] }, rollHosts...)
	for _, host := range rollHosts {
		f.pids(t, host, true)
	}
	return f
}

// pids returns the pid of each process of queue on host, waiting until
// all four run when wait is set.
func (f *realFleet) pids(t *testing.T, host string, wait bool) map[string]int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		all, err := f.clients[host].GetAllProcessInfo(context.Background())
		out := map[string]int{}
		for _, p := range all {
			if p.Group == "queue" && p.StateName == "RUNNING" {
				out[p.Name] = p.PID
			}
		}
		if err == nil && (!wait || len(out) == 4) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of 4 processes running (err %v)", host, len(out), err)
		}
	}
}

// notes collects what a hub run's watcher shows of each host: the note of
// its step, each time it changes.
type notes struct {
	mu    sync.Mutex
	seen  []string          // "host: note"
	last  map[string]string // the note last seen, by host
	runID string
	on    func(host, note string)
}

func (n *notes) watch(p ops.Progress) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.runID = p.RunID
	for _, s := range p.Steps {
		if s.Note == "" || s.State == ops.StepWaiting || s.State == ops.StepUntouched {
			continue
		}
		if n.last[s.Name] == s.Note {
			continue
		}
		if n.last == nil {
			n.last = map[string]string{}
		}
		n.last[s.Name] = s.Note
		n.seen = append(n.seen, s.Name+": "+s.Note)
		if n.on != nil {
			n.on(s.Name, s.Note)
		}
	}
}

func (n *notes) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.seen)
}

// TestGroupRollStreamsEachHostsBatches: a rolling restart across three
// hosts shows, host after host, each host's batches as they run, in
// order; a report replayed or forged by another agent is not shown.
func TestGroupRollStreamsEachHostsBatches(t *testing.T) {
	f := newRealFleet(t)
	before := map[string]map[string]int{}
	for _, h := range rollHosts {
		before[h] = f.pids(t, h, true)
	}
	// A spy on the bus keeps web-01's first genuine report, to play it
	// back later; worker-01's key forges one for web-01.
	spy := f.dial("spy")
	genuine := make(chan *nats.Msg, 1)
	if _, err := spy.Subscribe(progressPrefix+"*."+Token("web-01"), func(m *nats.Msg) {
		select {
		case genuine <- m:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}
	n := &notes{}
	var once sync.Once
	n.on = func(host, note string) {
		if host != "web-01" || !strings.HasPrefix(note, "batch 2/2 running") {
			return
		}
		once.Do(func() {
			replay := <-genuine
			if err := spy.PublishMsg(&nats.Msg{Subject: replay.Subject, Data: replay.Data, Header: replay.Header}); err != nil {
				t.Error(err)
			}
			forged := ProgressEvent{RunID: n.runID, Host: "web-01", Seq: 1 << 40, Sent: time.Now(), Progress: ops.Progress{
				Steps: []ops.Step{{Name: "batch 1", Items: []string{"FORGED"}, State: ops.StepRunning}}}}
			body, _ := json.Marshal(forged)
			m := nats.NewMsg(progressSubject(n.runID, "web-01"))
			m.Data = body
			m.Header.Set(sigHeader, signAs(f.agentKeys["worker-01"], domainProgress, body))
			if err := spy.PublishMsg(m); err != nil {
				t.Error(err)
			}
		})
	}

	req := f.run(operator, "supervisor restart queue:* --host every --rolling --batch 2 --settle 300ms")
	if req.Status != ops.StatusPending {
		t.Fatalf("%s: %s", req.Status, req.Message)
	}
	res := f.pipe.Run(ops.WithWatcher(context.Background(), n.watch), admin, "ops approve "+req.ApprovalID)
	if res.Status != ops.StatusOK {
		t.Fatalf("%s:\n%s", res.Status, res.Message)
	}
	var want []string
	for _, h := range rollHosts {
		want = append(want,
			h+": 0/2 done, next batch 1/2",
			h+": batch 1/2 running: queue:queue_00, queue:queue_01",
			h+": 1/2 done, next batch 2/2",
			h+": batch 2/2 running: queue:queue_02, queue:queue_03",
			h+": 2/2 done")
	}
	if got := n.all(); !slices.Equal(got, want) {
		t.Errorf("the hub's watcher saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, h := range rollHosts {
		after := f.pids(t, h, true)
		for name, pid := range before[h] {
			if after[name] == pid {
				t.Errorf("%s: %s kept pid %d", h, name, pid)
			}
		}
	}
}

// TestCancelFromTheHubStopsAnAgentsRollBetweenBatches: /ops cancel on the
// hub, while a host's roll runs its first batch, stops that roll before
// its next batch, for a roll on one host and for a group roll (whose later
// hosts are then untouched).
func TestCancelFromTheHubStopsAnAgentsRollBetweenBatches(t *testing.T) {
	f := newRealFleet(t)
	for _, c := range []struct {
		name, text, host string
		untouched        []string // hosts no process of which restarts
	}{
		{"one host", "supervisor restart queue:* --host web-02 --rolling --batch 1 --settle 1s", "web-02", []string{"web-01", "worker-01"}},
		{"group", "supervisor restart queue:* --host every --rolling --batch 1 --settle 1s", "web-01", []string{"web-02", "worker-01"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := map[string]map[string]int{}
			for _, h := range rollHosts {
				before[h] = f.pids(t, h, true)
			}
			first := make(chan string, 1)
			n := &notes{on: func(host, note string) {
				if host == c.host && strings.HasPrefix(note, "batch 1/4 running") {
					select {
					case first <- note:
					default:
					}
				}
			}}
			ctx := ops.WithWatcher(context.Background(), n.watch)
			done := make(chan ops.Result, 1)
			if c.name == "group" {
				req := f.run(operator, c.text)
				if req.Status != ops.StatusPending {
					t.Fatalf("%s: %s", req.Status, req.Message)
				}
				go func() { done <- f.pipe.Run(ctx, admin, "ops approve "+req.ApprovalID) }()
			} else {
				go func() { done <- f.pipe.Run(ctx, operator, c.text) }()
			}
			select {
			case <-first:
			case res := <-done:
				t.Fatalf("ended before its first batch was shown: %s %s", res.Status, res.Message)
			case <-time.After(time.Minute):
				t.Fatal("the first batch was never shown")
			}
			n.mu.Lock()
			id := n.runID
			n.mu.Unlock()
			if res := f.run(operator, "ops cancel "+id); res.Status != ops.StatusOK {
				t.Fatalf("cancel: %s %s", res.Status, res.Message)
			}
			res := <-done
			after := f.pids(t, c.host, false)
			if after["queue_00"] == before[c.host]["queue_00"] {
				t.Errorf("%s: the first batch's process was not restarted", c.host)
			}
			if after["queue_03"] != before[c.host]["queue_03"] {
				t.Errorf("%s: the last batch ran after the cancel: queue_03 pid %d → %d\n%s", c.host, before[c.host]["queue_03"], after["queue_03"], res.Message)
			}
			for _, h := range c.untouched {
				if got := f.pids(t, h, false); !stdmaps.Equal(got, before[h]) {
					t.Errorf("%s changed: %v → %v", h, before[h], got)
				}
			}
			shown := strings.Join(n.all(), "\n")
			if !strings.Contains(shown, c.host+": 1/4 done, cancelled by local:olive") && !strings.Contains(shown, c.host+": 2/4 done, cancelled by local:olive") {
				t.Errorf("the watcher never showed the agent's roll cancelled:\n%s", shown)
			}
			if !strings.Contains(res.Message, "Cancelled by local:olive before batch") {
				t.Errorf("answer:\n%s", res.Message)
			}
			for _, h := range rollHosts { // all running again for the next case
				f.pids(t, h, true)
			}
		})
	}
}

// TestForgedProgressIsDropped: the hub takes a host's report only when the
// key pinned for that host signed it, for this run, newer than the last.
func TestForgedProgressIsDropped(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	now := time.Now()
	good := ProgressEvent{RunID: "run1", Host: "web-01", Seq: 3, Sent: now, Progress: ops.Progress{Title: "roll"}}
	msg := func(ev ProgressEvent, signer, domain string) *nats.Msg {
		body, _ := json.Marshal(ev)
		m := nats.NewMsg(progressSubject(ev.RunID, "web-01"))
		m.Data = body
		m.Header.Set(sigHeader, signAs(e.agentKeys[signer], domain, body))
		return m
	}
	with := func(change func(*ProgressEvent)) ProgressEvent {
		ev := good
		change(&ev)
		return ev
	}
	for _, c := range []struct {
		name string
		m    *nats.Msg
		want string
	}{
		{"another agent's key", msg(good, "web-02", domainProgress), "not signed by the key pinned"},
		{"another agent's key, its own name", msg(with(func(ev *ProgressEvent) { ev.Host = "web-02" }), "web-02", domainProgress), "not signed by the key pinned"},
		{"another host named", msg(with(func(ev *ProgressEvent) { ev.Host = "web-02" }), "web-01", domainProgress), `claims host "web-02"`},
		{"an alert's signature", msg(good, "web-01", domainAlert), "not signed by the key pinned"},
		{"another run", msg(with(func(ev *ProgressEvent) { ev.RunID = "run2" }), "web-01", domainProgress), `reports on run "run2"`},
		{"a replay", msg(with(func(ev *ProgressEvent) { ev.Seq = 2 }), "web-01", domainProgress), "older than a report already taken"},
		{"stale", msg(with(func(ev *ProgressEvent) { ev.Sent = now.Add(-time.Hour) }), "web-01", domainProgress), "ago"},
		{"too big", msg(with(func(ev *ProgressEvent) { ev.Progress.Title = strings.Repeat("x", maxProgressBytes) }), "web-01", domainProgress), "more than"},
		{"unsigned", &nats.Msg{Subject: "x", Data: []byte(`{}`)}, "not signed by the key pinned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.hub.checkProgress("web-01", "run1", 2, c.m)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	if ev, err := e.hub.checkProgress("web-01", "run1", 2, msg(good, "web-01", domainProgress)); err != nil || ev.Seq != 3 {
		t.Errorf("the genuine report: %+v %v", ev, err)
	}
}

func TestHostNote(t *testing.T) {
	steps := func(states ...ops.StepState) []ops.Step {
		out := make([]ops.Step, len(states))
		for i, s := range states {
			out[i] = ops.Step{Name: fmt.Sprintf("batch %d", i+1), Items: []string{fmt.Sprintf("q:%d", i)}, State: s}
		}
		return out
	}
	for _, c := range []struct {
		name string
		p    ops.Progress
		want string
	}{
		{"nothing", ops.Progress{}, ""},
		{"begun", ops.Progress{Steps: steps(ops.StepWaiting, ops.StepWaiting)}, "0/2 done, next batch 1/2"},
		{"running", ops.Progress{Steps: steps(ops.StepDone, ops.StepRunning)}, "batch 2/2 running: q:1"},
		{"failed", ops.Progress{Steps: steps(ops.StepDone, ops.StepFailed)}, "batch 2/2 failed"},
		{"done", ops.Progress{Steps: steps(ops.StepDone, ops.StepDone), Finished: true}, "2/2 done"},
		{"cancelled", ops.Progress{Steps: steps(ops.StepDone, ops.StepUntouched), Finished: true, CancelledBy: "local:olive"}, "1/2 done, cancelled by local:olive"},
		{"named steps", ops.Progress{Steps: []ops.Step{{Name: "www", State: ops.StepRunning, Items: []string{"www"}}}}, "www (1/1) running: www"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := hostNote(c.p); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestDroppedProgressDoesNotRediscover: progress reports a slow hub drops
// are superseded by the next; unlike dropped announcements they are no
// reason to discover the fleet again.
func TestDroppedProgressDoesNotRediscover(t *testing.T) {
	srv := natsbox.Start(t, nil)
	nc := connect(t, srv.URL())
	dropped := 0
	// Not started: nothing takes what falls due but this test.
	hub := NewHub(nc, HubConfig{Log: testLog(t), Dropped: func() { dropped++ }})
	for _, c := range []struct {
		subject string
		rescan  bool
	}{
		{progressSubject("run1", "web-01"), false},
		{announcePrefix + "web-01", true},
	} {
		sub, err := nc.SubscribeSync(c.subject)
		if err != nil {
			t.Fatal(err)
		}
		select { // nothing due before
		case <-hub.rescan:
		default:
		}
		hub.asyncError(nc, sub, nats.ErrSlowConsumer)
		due := false
		select {
		case <-hub.rescan:
			due = true
		default:
		}
		if due != c.rescan {
			t.Errorf("%s dropped: rediscovery due %v, want %v", c.subject, due, c.rescan)
		}
	}
	if dropped != 2 {
		t.Errorf("%d drops counted, want 2", dropped)
	}
}
