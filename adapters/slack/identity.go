package slack

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// groupsTTL is how long user group memberships are trusted: long enough that
// a burst of commands costs one lookup, short enough that removing someone
// from a group takes effect within a minute.
const groupsTTL = time.Minute

// groupRetry is how soon a failed lookup is tried again.
const groupRetry = 10 * time.Second

// groupsMaxStale is how long memberships last confirmed may still serve
// for writes while Slack cannot be asked (rate limits, an outage): past it,
// the actor is marked stale and the core refuses writes that rest on them.
const groupsMaxStale = 5 * time.Minute

// actor returns the Slack user as the core knows them: the immutable user
// ID, the display name for messages only, and the IDs of their user groups.
func (a *Adapter) actor(ctx context.Context, userID, userName string) ops.Actor {
	groups, stale := a.groups.of(ctx, userID)
	return ops.Actor{Platform: "slack", ID: userID, Name: userName, Groups: groups, GroupsStale: stale}
}

// actorIn is actor asking from a channel, which in fleet mode chooses the
// default host (config key channels).
func (a *Adapter) actorIn(ctx context.Context, userID, userName, channelID string) ops.Actor {
	who := a.actor(ctx, userID, userName)
	who.Channel = channelID
	return who
}

// groupCache maps users to their user groups, from usergroups.list and
// usergroups.users.list, refreshed at most once per groupsTTL by one caller
// while the others wait for it.
type groupCache struct {
	api  API
	only []string // the groups RBAC binds; nil: all
	now  func() time.Time
	log  *slog.Logger

	mu      sync.Mutex
	byUser  map[string][]string
	fresh   time.Time // when byUser stops being fresh
	loaded  time.Time // when byUser was last read from Slack
	loading chan struct{}
}

func newGroupCache(api API, only []string, now func() time.Time, log *slog.Logger) *groupCache {
	return &groupCache{api: api, only: only, now: now, log: log}
}

// of returns userID's groups. When Slack cannot be asked, the last known
// memberships are used, and stale says they are older than groupsMaxStale;
// without any, the user has no groups (bindings by user ID still apply).
func (g *groupCache) of(ctx context.Context, userID string) (groups []string, stale bool) {
	if g.only != nil && len(g.only) == 0 {
		return nil, false // RBAC binds no group: nothing to look up
	}
	g.mu.Lock()
	for g.now().After(g.fresh) {
		if g.loading == nil {
			g.loading = make(chan struct{})
			g.mu.Unlock()
			byUser, err := g.load(ctx)
			g.mu.Lock()
			if err != nil {
				g.log.Warn("slack: could not read user groups; using the last known memberships", "err", err)
				g.fresh = g.now().Add(groupRetry)
			} else {
				g.byUser, g.fresh, g.loaded = byUser, g.now().Add(groupsTTL), g.now()
			}
			close(g.loading)
			g.loading = nil
			break
		}
		wait := g.loading
		g.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, false
		}
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	mine := slices.Clone(g.byUser[userID])
	return mine, len(mine) > 0 && g.now().Sub(g.loaded) > groupsMaxStale
}

func (g *groupCache) load(ctx context.Context) (map[string][]string, error) {
	ctx, cancel := context.WithTimeout(ctx, ackDeadline)
	defer cancel()
	groups, err := g.api.GetUserGroupsContext(ctx)
	if err != nil {
		return nil, err
	}
	byUser := map[string][]string{}
	for _, grp := range groups {
		if !enabled(grp) || (g.only != nil && !slices.Contains(g.only, grp.ID)) {
			continue
		}
		users, err := g.api.GetUserGroupMembersContext(ctx, grp.ID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			byUser[u] = append(byUser[u], grp.ID)
		}
	}
	return byUser, nil
}

func enabled(g slackgo.UserGroup) bool { return g.DateDelete == 0 }
