package slack

import (
	"context"
	"errors"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// Rate limits: chat.postMessage and chat.update answer 429 with
// Retry-After (seconds) past about one message per second per channel. A
// call that must get through (an approval request's copies, and their
// update once decided) waits that long and tries again, up to
// maxRateLimitRetries times and never more than maxRateLimitWait a time
// (nor past ctx's end); a longer wait is given up and logged by the caller.
// https://docs.slack.dev/apis/web-api/rate-limits
const (
	maxRateLimitRetries = 3
	maxRateLimitWait    = 10 * time.Second
)

var rateLimits = chat.RetryLimits{Retries: maxRateLimitRetries, MaxWait: maxRateLimitWait}

// retrying makes call, again after each 429, within Slack's limits.
func (a *Adapter) retrying(ctx context.Context, method, channel string, call func() error) error {
	return rateLimits.Retry(ctx, func() (time.Duration, error) {
		err := call()
		if rl := (*slackgo.RateLimitedError)(nil); errors.As(err, &rl) {
			return max(rl.RetryAfter, time.Nanosecond), err
		}
		return 0, err
	}, func(wait time.Duration) {
		a.log.Info("slack: rate-limited; calling again after the wait Slack asks for", "method", method, "channel", channel, "retry_after", wait)
	})
}

// postRetrying is chat.postMessage, retried on 429 within Slack's limits.
func (a *Adapter) postRetrying(ctx context.Context, channel string, opts ...slackgo.MsgOption) (ch, ts string, err error) {
	err = a.retrying(ctx, "chat.postMessage", channel, func() error {
		var err error
		ch, ts, err = a.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ch, ts, err
}

// updateRetrying is chat.update, retried on 429 within Slack's limits.
func (a *Adapter) updateRetrying(ctx context.Context, channel, ts string, opts ...slackgo.MsgOption) error {
	return a.retrying(ctx, "chat.update", channel, func() error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
}
