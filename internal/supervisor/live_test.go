package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/events"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestLiveStateAnswersStatusWhileTheListenerRuns(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	ctx := context.Background()
	if err := b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.liveProcesses(); ok {
		t.Fatal("live state trusted without a running listener")
	}

	// A process in the listener's group stands in for the listener here.
	if _, err := s.WriteProgram(sandbox.Program{Name: ListenerGroup, Command: rpcSleeperCmd}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, b, "supervisor.service.update", ""); err != nil {
		t.Fatal(err)
	}
	rpcWaitState(t, b.client, ListenerGroup+":"+ListenerGroup, "RUNNING")
	if err := b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	b.Observe(events.Event{Name: "PROCESS_STATE_STOPPED", Group: "web", Process: "web", Time: time.Now()})
	out, err := run(t, b, "supervisor.program.list", "web")
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Data.(ops.ProgramList).Programs[0]; got.State != "STOPPED" || got.PID != 0 {
		t.Errorf("status did not come from the live state: %+v", got)
	}
	// An event for a process the snapshot lacks makes it untrusted until the next reconciliation.
	b.Observe(events.Event{Name: "PROCESS_STATE_RUNNING", Group: "new", Process: "new"})
	if _, ok := b.liveProcesses(); ok {
		t.Error("live state trusted after an unknown process appeared")
	}
}
