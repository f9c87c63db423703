package slack

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestGroupsStaleUnderRateLimit: while Slack rate-limits the membership
// API, the last known memberships still answer, but past groupsMaxStale
// the actor is marked stale, so the core refuses writes that rest on them;
// a fresh answer clears the mark.
func TestGroupsStaleUnderRateLimit(t *testing.T) {
	fake := slackfake.New("xoxb-t", "xapp-t")
	t.Cleanup(fake.Close)
	fake.SetUsergroup("S0OPS", "U0OLGA")
	api := slackgo.New("xoxb-t", slackgo.OptionAPIURL(fake.APIURL()))
	clock := &fakeClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	g := newGroupCache(api, nil, clock.Now, slog.New(slog.DiscardHandler))
	ctx := context.Background()

	if groups, stale := g.of(ctx, "U0OLGA"); !slices.Equal(groups, []string{"S0OPS"}) || stale {
		t.Fatalf("fresh: %v stale=%v", groups, stale)
	}
	fake.RateLimit("usergroups.list", true)
	fake.SetUsergroup("S0OPS") // olga is removed, but Slack cannot say so
	clock.Add(2 * time.Minute)
	if groups, stale := g.of(ctx, "U0OLGA"); len(groups) != 1 || stale {
		t.Errorf("2 minutes under 429: %v stale=%v, want the last known groups, not stale", groups, stale)
	}
	clock.Add(groupsMaxStale)
	if groups, stale := g.of(ctx, "U0OLGA"); len(groups) != 1 || !stale {
		t.Errorf("past groupsMaxStale under 429: %v stale=%v, want stale", groups, stale)
	}
	fake.RateLimit("usergroups.list", false)
	clock.Add(groupRetry + time.Second)
	if groups, stale := g.of(ctx, "U0OLGA"); len(groups) != 0 || stale {
		t.Errorf("after Slack answers again: %v stale=%v, want no groups", groups, stale)
	}
}
