package discord

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/names"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
)

// autocompleteBudget bounds reading a list, well inside ackDeadline.
const autocompleteBudget = 2 * time.Second

// autocomplete answers a focused `name` or `program` option with the live
// pools or programs the member may list, and `host` with the hosts the bot
// reaches (type 8): names that start with what was typed first, then
// names that contain it, at most maxChoices.
func (a *Adapter) autocomplete(ctx context.Context, in *discordgo.Interaction) *response {
	_, given, focused := interactionOptions(in.ApplicationCommandData().Options)
	var list []string
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
			list = a.lists.Get(key+php+" pools", func() []string { return names.Pools(ctx, a.run, who, on+php) })
		case phpOpt.Name:
			list = a.lists.Get(key+" php", func() []string { return names.Instances(ctx, a.run, who, on) })
		case catalog.ProgramOption:
			list = a.lists.Get(key+" programs", func() []string { return names.Processes(ctx, a.run, who, on) })
		case hostOpt.Name:
			list = a.lists.Get("hosts", func() []string { return a.hostNames(ctx) })
		}
	}
	typed := ""
	if focused != nil {
		typed, _ = focused.Value.(string)
	}
	return &response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: choicesData{Choices: choices(list, typed)}}
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
