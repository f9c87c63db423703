package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// maxInFlight bounds the requests a read to many hosts has out at once: a
// thousand requests sent together cost the hub a thousand subscriptions and
// goroutines at the same instant, and on a small hub the late answers then
// miss their deadline although every agent answered quickly (measured on
// two cores: 261 of 1,000 hosts "unreachable" sent all at once, none at
// 64 in flight).
const maxInFlight = 64

// maxFanOut bounds how long a read to many hosts may take in all.
const maxFanOut = 30 * time.Second

// fanOutDeadline is the one deadline of a read to n hosts, each asked
// with timeout: what the slots need should every host take its whole
// timeout, within maxFanOut, and never less than timeout. A host
// queued behind others is not counted late for the time it waited, and
// hosts that hang cannot hold the read past maxFanOut.
func fanOutDeadline(n int, timeout time.Duration) time.Duration {
	waves := (n + maxInFlight - 1) / maxInFlight
	return max(timeout, min(time.Duration(waves)*timeout, maxFanOut))
}

// fanOut runs ask for each host, at most maxInFlight at a time, under one
// deadline for them all (fanOutDeadline); ask bounds each host's wait by
// timeout itself. A host the deadline passed before it was asked gets
// missed(host, why), an ErrUnreachable. Results are in the order of hosts.
func fanOut[T any](ctx context.Context, timeout time.Duration, hosts []string,
	ask func(ctx context.Context, host string) T, missed func(host string, why error) T) []T {
	limit := fanOutDeadline(len(hosts), timeout)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	out := make([]T, len(hosts))
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i, host := range hosts {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			out[i] = missed(host, fmt.Errorf("%w: not asked: the read of %d hosts took its whole %s", ErrUnreachable, len(hosts), limit))
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			out[i] = ask(ctx, host)
		})
	}
	wg.Wait()
	return out
}
