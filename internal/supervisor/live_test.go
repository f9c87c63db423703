package supervisor

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// counted makes b count its XML-RPC calls, for calls to read.
func counted(b *Backend) *Backend {
	n := new(atomic.Int64)
	b.client.Observe(func(string, string) { n.Add(1) })
	callCounts.Store(b, n)
	return b
}

var callCounts sync.Map // *Backend to *atomic.Int64

func calls(b *Backend) int64 {
	n, ok := callCounts.Load(b)
	if !ok {
		panic("calls of a backend not made by counted")
	}
	return n.(*atomic.Int64).Load()
}

// listFrom runs supervisor.program.list and returns its programs.
func listFrom(t *testing.T, b *Backend) []ops.Process {
	t.Helper()
	out, err := run(t, b, "supervisor.program.list", "")
	if err != nil {
		t.Fatal(err)
	}
	return out.Data.(ops.ProgramList).Programs
}

// sameAsSupervisord checks that the live state answers status as
// supervisord itself does: the list from b (live) equals the list from
// direct, which has no listener and asks supervisord. Both are taken in
// the same second (the uptime counts seconds); a few tries cover a second
// boundary between them.
func sameAsSupervisord(t *testing.T, b, direct *Backend) {
	t.Helper()
	var live, rpc []ops.Process
	for range 5 {
		if !b.LiveCurrent() {
			t.Fatal("the live state is not current")
		}
		before := calls(b)
		live, rpc = listFrom(t, b), listFrom(t, direct)
		if n := calls(b) - before; n != 0 {
			t.Fatalf("a read from the live state made %d calls to supervisord", n)
		}
		if reflect.DeepEqual(live, rpc) {
			return
		}
	}
	t.Errorf("live state answers\n%+v\nsupervisord answers\n%+v", live, rpc)
}

func TestLiveStateIsCurrentOnlyWhenKnownToBe(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t,
		sandbox.Program{Name: "web", Command: rpcSleeperCmd},
		sandbox.Program{Name: "queue", Command: rpcSleeperCmd, Extra: map[string]string{"numprocs": "2", "process_name": "%(program_name)s_%(process_num)02d"}})
	b := counted(newBackend(t, s, 5*time.Second))
	direct := newBackend(t, s, 5*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	rpcWaitState(t, b.client, "queue:queue_01", "RUNNING")
	ctx := context.Background()
	reconcile := func() {
		t.Helper()
		if err := b.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}

	reconcile()
	if b.LiveCurrent() {
		t.Fatal("current with no listener connected")
	}
	b.ListenerConnected(true)
	if b.LiveCurrent() {
		t.Fatal("current before a reconciliation after the listener connected")
	}
	reconcile()
	sameAsSupervisord(t, b, direct)

	// A write through the backend makes it not current at once, before
	// any event arrives: a read after it shows the write's result.
	if _, err := run(t, b, "supervisor.program.stop", "web"); err != nil {
		t.Fatal(err)
	}
	if b.LiveCurrent() {
		t.Fatal("current after a stop")
	}
	for _, p := range listFrom(t, b) {
		if p.Name == "web" && p.State != "STOPPED" {
			t.Errorf("status after stop: %+v", p)
		}
	}
	reconcile()
	sameAsSupervisord(t, b, direct) // a STOPPED process's description is its stop time

	for name, spoil := range map[string]func(){
		"an event":            func() { b.Observe(events.Event{Name: "PROCESS_STATE_RUNNING", Group: "web", Process: "web"}) },
		"lost events":         func() { b.Resync("pool serial 10 followed 8") },
		"a second connection": func() { b.ListenerConnected(true); b.ListenerConnected(false) },
	} {
		spoil()
		if b.LiveCurrent() {
			t.Errorf("current after %s", name)
		}
		reconcile()
		if !b.LiveCurrent() {
			t.Errorf("not current after %s and a reconciliation", name)
		}
	}

	// Changes made without poolvisor are seen by the event that follows,
	// and status asks supervisord until the reconciliation.
	if err := direct.client.StartProcess(ctx, "web:web", true); err != nil {
		t.Fatal(err)
	}
	b.Observe(events.Event{Name: "PROCESS_STATE_RUNNING", Group: "web", Process: "web"})
	for _, p := range listFrom(t, b) {
		if p.Name == "web" && p.State != "RUNNING" {
			t.Errorf("status after an event: %+v", p)
		}
	}

	b.ListenerConnected(false)
	reconcile()
	if b.LiveCurrent() {
		t.Error("current with the listener gone")
	}
}

// TestRunReconcileFollowsEvents: with serve's loop running, the live state
// becomes current by itself after the listener connects and after each
// event, with no periodic wait.
func TestRunReconcileFollowsEvents(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := counted(newBackend(t, s, 5*time.Second))
	direct := newBackend(t, s, 5*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.RunReconcile(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitCurrent := func(why string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second) // well under liveMaxAge/2: the kick, not the ticker
		for !b.LiveCurrent() {
			if time.Now().After(deadline) {
				t.Fatalf("not current after %s", why)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.ListenerConnected(true)
	waitCurrent("the listener connected")
	b.Observe(events.Event{Name: "PROCESS_STATE_STOPPED", Group: "web", Process: "web"})
	waitCurrent("an event")
	sameAsSupervisord(t, b, direct)
}

func TestRunningDescription(t *testing.T) {
	for name, c := range map[string]struct {
		start, now int64
		want       string
	}{
		"seconds":        {100, 107, "pid 42, uptime 0:00:07"},
		"hours":          {0, 3*3600 + 62, "pid 42, uptime 3:01:02"},
		"one day":        {0, 86400 + 5, "pid 42, uptime 1 day, 0:00:05"},
		"days":           {0, 3*86400 + 36000, "pid 42, uptime 3 days, 10:00:00"},
		"clock stepping": {200, 100, "pid 42, uptime 0:00:00"},
	} {
		if got := runningDescription(ProcessInfo{PID: 42, Start: c.start, Now: c.now}); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}
