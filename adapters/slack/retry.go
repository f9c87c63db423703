package slack

import (
	"context"
	"errors"
	"time"

	slackgo "github.com/slack-go/slack"
)

// Rate limits: chat.postMessage answers 429 with Retry-After (seconds)
// past about one message per second per channel. A post that must arrive
// (an approval request's copy in the notify channel) waits that long and
// tries again, up to maxRateLimitRetries times and never more than
// maxRateLimitWait a time (nor past ctx's end); a longer wait is given up
// and logged.
// https://docs.slack.dev/apis/web-api/rate-limits
const (
	maxRateLimitRetries = 3
	maxRateLimitWait    = 10 * time.Second
)

// postRetrying is chat.postMessage, retried on 429 within Slack's limits.
func (a *Adapter) postRetrying(ctx context.Context, channel string, opts ...slackgo.MsgOption) (string, string, error) {
	for attempt := 0; ; attempt++ {
		ch, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
		var rl *slackgo.RateLimitedError
		if !errors.As(err, &rl) || attempt == maxRateLimitRetries || rl.RetryAfter > maxRateLimitWait {
			return ch, ts, err
		}
		a.log.Info("slack: rate-limited; posting again after the wait Slack asks for", "channel", channel, "retry_after", rl.RetryAfter)
		t := time.NewTimer(rl.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ch, ts, err
		case <-t.C:
		}
	}
}
