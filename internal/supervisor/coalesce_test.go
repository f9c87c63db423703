package supervisor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestCoalescerSharesOneCall(t *testing.T) {
	var c coalescer
	var calls atomic.Int32
	// The call in flight lasts until every reader waits for it, not a fixed
	// time that readers started late on a busy machine could miss.
	release := make(chan struct{})
	slow := func(context.Context) ([]ProcessInfo, error) {
		calls.Add(1)
		<-release
		return []ProcessInfo{{Name: "web"}}, nil
	}
	var wg, waiting sync.WaitGroup
	for range 100 {
		wg.Add(1)
		waiting.Add(1)
		go func() {
			defer wg.Done()
			ctx := &waitingCtx{Context: context.Background(), waiting: &waiting}
			if got, err := c.do(ctx, slow); err != nil || len(got) != 1 {
				t.Errorf("do = %v, %v", got, err)
			}
		}()
	}
	waiting.Wait()
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("100 concurrent readers made %d calls", n)
	}
	// A waiter that gives up does not cancel the others.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.do(ctx, slow); err == nil {
		t.Error("a cancelled waiter got a result")
	}
}

// waitingCtx tells when a reader waits for the call in flight: do asks
// for Done only then.
type waitingCtx struct {
	context.Context
	waiting *sync.WaitGroup
	once    sync.Once
}

func (c *waitingCtx) Done() <-chan struct{} {
	c.once.Do(c.waiting.Done)
	return c.Context.Done()
}

func TestConcurrentStatusAgainstRealSupervisord(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd, NumProcs: 3})
	b := newBackend(t, s, 5*time.Second)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := run(t, b, "supervisor.program.list", "")
			if err != nil || len(out.Data.(ops.ProgramList).Programs) != 3 {
				t.Errorf("status: %v %v", out.Data, err)
			}
		}()
	}
	wg.Wait()
}
