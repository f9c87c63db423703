package chat

import (
	"context"
	"time"
)

// RetryLimits bounds how often, and after how long a wait, a call that a
// platform refused for its rate limit is made again. Each platform keeps
// its own, beside the link to its documentation.
type RetryLimits struct {
	Retries int           // calls made again at the most
	MaxWait time.Duration // the longest wait asked for that is waited out
}

// Retry makes call, and makes it again after each refusal for a rate limit
// (call returns the wait the platform asked for, above zero), up to
// l.Retries times; a longer wait than l.MaxWait, or ctx's end, gives up.
// It returns call's last error. onWait, if not nil, hears of each wait.
func (l RetryLimits) Retry(ctx context.Context, call func() (wait time.Duration, err error), onWait func(time.Duration)) error {
	for attempt := 0; ; attempt++ {
		wait, err := call()
		if wait <= 0 || attempt == l.Retries || wait > l.MaxWait {
			return err
		}
		if onWait != nil {
			onWait(wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
