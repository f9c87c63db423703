package discord

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// listTTL is how long a member's live list of pools or programs serves
// autocomplete: every keystroke asks, and each list read is a pipeline run
// (authorized and audited), so one read serves a burst of keystrokes.
const listTTL = 15 * time.Second

// autocompleteBudget bounds reading a list, well inside ackDeadline.
const autocompleteBudget = 2 * time.Second

// listCache keeps each member's last list of names per kind.
type listCache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedList
}

type cachedList struct {
	names   []string
	expires time.Time
}

func newListCache(now func() time.Time) *listCache {
	return &listCache{now: now, m: map[string]cachedList{}}
}

func (c *listCache) get(key string, load func() []string) []string {
	c.mu.Lock()
	if l, ok := c.m[key]; ok && c.now().Before(l.expires) {
		c.mu.Unlock()
		return l.names
	}
	c.mu.Unlock()
	names := load()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, l := range c.m {
		if c.now().After(l.expires) {
			delete(c.m, k)
		}
	}
	c.m[key] = cachedList{names: names, expires: c.now().Add(listTTL)}
	return names
}

// autocomplete answers a focused `name` or `program` option with the live
// pools or programs the member may list, and `host` with the hosts the bot
// reaches (type 8): names that start with what was typed first, then
// names that contain it, at most maxChoices.
func (a *Adapter) autocomplete(ctx context.Context, in *discordgo.Interaction) *response {
	_, given, focused := interactionOptions(in.ApplicationCommandData().Options)
	var names []string
	if focused != nil {
		who := actor(in)
		ctx, cancel := context.WithTimeout(ctx, autocompleteBudget)
		defer cancel()
		// The names live on the host the command names, if it names one;
		// else on the default host, which the channel may choose in fleet
		// mode. So the lists are kept per member, channel and host.
		// Pools are those of the PHP-FPM the command names, if it names
		// one; else of every instance.
		on, php := "", ""
		for _, o := range given {
			v, _ := o.Value.(string)
			switch {
			case o.Name == hostOpt.Name && v != "":
				on = " --host " + command.Word(v)
			case o.Name == phpOpt.Name && v != "":
				php = " --" + phpOpt.Name + " " + command.Word(v)
			}
		}
		key := who.String() + " " + who.Channel + on
		switch focused.Name {
		case catalog.PoolOption:
			names = a.lists.get(key+php+" pools", func() []string { return a.poolNames(ctx, who, on+php) })
		case phpOpt.Name:
			names = a.lists.get(key+" php", func() []string { return a.phpNames(ctx, who, on) })
		case catalog.ProgramOption:
			names = a.lists.get(key+" programs", func() []string { return a.programNames(ctx, who, on) })
		case hostOpt.Name:
			names = a.lists.get("hosts", func() []string { return a.hostNames(ctx) })
		}
	}
	typed := ""
	if focused != nil {
		typed, _ = focused.Value.(string)
	}
	return &response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: choicesData{Choices: choices(names, typed)}}
}

// choices ranks names against typed: prefix matches first, then the rest
// that contain it, each in list order.
func choices(names []string, typed string) []*discordgo.ApplicationCommandOptionChoice {
	typed = strings.ToLower(strings.TrimSpace(typed))
	var prefix, contains []string
	for _, n := range names {
		l := strings.ToLower(n)
		switch {
		case strings.HasPrefix(l, typed):
			prefix = append(prefix, n)
		case strings.Contains(l, typed):
			contains = append(contains, n)
		}
	}
	out := []*discordgo.ApplicationCommandOptionChoice{}
	for _, n := range append(prefix, contains...) {
		if len(out) == maxChoices {
			break
		}
		if len(n) > maxChoiceName {
			continue
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: n, Value: n})
	}
	return out
}

// poolNames lists pools; on is "" or the --host flag.
func (a *Adapter) poolNames(ctx context.Context, who ops.Actor, on string) []string {
	res := a.run.Run(ctx, who, "fpm pools"+on)
	d := view.Decode(res.Data)
	if res.Status != ops.StatusOK || d.Pools == nil {
		return nil
	}
	var out []string
	for _, p := range *d.Pools {
		if !slices.Contains(out, p.Name) { // www in 7.4 and in 8.3
			out = append(out, p.Name)
		}
	}
	return out
}

// phpNames lists the PHP-FPM instances of the host (none where it runs
// one: the option then has nothing to choose); on is "" or the --host flag.
func (a *Adapter) phpNames(ctx context.Context, who ops.Actor, on string) []string {
	res := a.run.Run(ctx, who, "fpm pools"+on)
	if res.Status != ops.StatusOK {
		return nil
	}
	return view.Instances(res.Data)
}

// programNames lists processes and their groups as GROUP:*; on is "" or
// the --host flag.
func (a *Adapter) programNames(ctx context.Context, who ops.Actor, on string) []string {
	res := a.run.Run(ctx, who, "supervisor status"+on)
	d := view.Decode(res.Data)
	if res.Status != ops.StatusOK || d.Programs == nil {
		return nil
	}
	var out []string
	for _, p := range *d.Programs {
		if p.Group != "" && p.Group != p.Name && !slices.Contains(out, p.Group+":*") {
			out = append(out, p.Group+":*")
		}
		out = append(out, p.Name)
	}
	return out
}

// Fleet is what a Runner that reaches several hosts (fleet mode's hub) has
// beyond Runner: the names of its hosts.
type Fleet interface {
	Hosts(ctx context.Context) []string
}

// hostNames lists the hosts a command may name: the fleet's, or this one.
// The list is the same for every member (RBAC decides on the run).
func (a *Adapter) hostNames(ctx context.Context) []string {
	if f, ok := a.run.(Fleet); ok {
		return f.Hosts(ctx)
	}
	return []string{a.run.Host()}
}
