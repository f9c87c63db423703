package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/internal/catalog"
)

// manageGuild is the permission write commands ask for by default: members
// without it do not see them. Server admins can change that per command;
// RBAC decides every request whatever Discord shows.
var manageGuild = int64(discordgo.PermissionManageGuild)

// Definitions returns the application commands poolvisor registers.
func Definitions() []*discordgo.ApplicationCommand {
	var out []*discordgo.ApplicationCommand
	for _, top := range topLevel {
		cmd := &discordgo.ApplicationCommand{Name: top, Description: topDesc[top], Type: discordgo.ChatApplicationCommand}
		if writes(top) {
			cmd.DefaultMemberPermissions = &manageGuild
		}
		groups := map[string]*discordgo.ApplicationCommandOption{}
		for _, sc := range tree()[top] {
			leaf := &discordgo.ApplicationCommandOption{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: sc.Path[len(sc.Path)-1],
				Description: sc.Desc, Options: optionDefs(sc.Opts),
			}
			if len(sc.Path) == 1 {
				cmd.Options = append(cmd.Options, leaf)
				continue
			}
			g, ok := groups[sc.Path[0]]
			if !ok {
				g = &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommandGroup,
					Name: sc.Path[0], Description: catalog.Groups[top+" "+sc.Path[0]]}
				groups[sc.Path[0]] = g
				cmd.Options = append(cmd.Options, g)
			}
			g.Options = append(g.Options, leaf)
		}
		out = append(out, cmd)
	}
	return out
}

// optionDefs types the options of a subcommand; Discord wants the required
// ones first.
func optionDefs(in []option) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, o := range in {
		d := &discordgo.ApplicationCommandOption{Name: o.Name, Description: o.Desc, Required: o.Required,
			Type: discordgo.ApplicationCommandOptionString, Autocomplete: o.Auto}
		switch o.Kind {
		case optInt:
			d.Type = discordgo.ApplicationCommandOptionInteger
			zero := 0.0
			d.MinValue = &zero
		case optBool, optBoolV:
			d.Type = discordgo.ApplicationCommandOptionBoolean
		case optChoice:
			for _, c := range o.Choices {
				d.Choices = append(d.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
			}
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b *discordgo.ApplicationCommandOption) int {
		switch {
		case a.Required && !b.Required:
			return -1
		case !a.Required && b.Required:
			return 1
		}
		return 0
	})
	return out
}

// cmpCommand is the part of a command that registration sets, so that
// what Discord adds (ids, versions, localizations) does not count as a
// difference.
type cmpCommand struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Perms       *string     `json:"default_member_permissions"`
	Options     []cmpOption `json:"options,omitempty"`
}

type cmpOption struct {
	Type         int         `json:"type"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Required     bool        `json:"required"`
	Autocomplete bool        `json:"autocomplete"`
	Choices      []string    `json:"choices,omitempty"`
	MinValue     *float64    `json:"min_value"`
	Options      []cmpOption `json:"options,omitempty"`
}

func project(cmds []*discordgo.ApplicationCommand) []cmpCommand {
	out := make([]cmpCommand, 0, len(cmds))
	for _, c := range cmds {
		cc := cmpCommand{Name: c.Name, Description: c.Description, Options: projectOptions(c.Options)}
		if c.DefaultMemberPermissions != nil {
			s := fmt.Sprint(*c.DefaultMemberPermissions)
			cc.Perms = &s
		}
		out = append(out, cc)
	}
	slices.SortFunc(out, func(a, b cmpCommand) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func projectOptions(in []*discordgo.ApplicationCommandOption) []cmpOption {
	var out []cmpOption
	for _, o := range in {
		co := cmpOption{Type: int(o.Type), Name: o.Name, Description: o.Description, Required: o.Required,
			Autocomplete: o.Autocomplete, MinValue: o.MinValue, Options: projectOptions(o.Options)}
		for _, c := range o.Choices {
			co.Choices = append(co.Choices, fmt.Sprint(c.Value))
		}
		out = append(out, co)
	}
	return out
}

// sameCommands reports whether what is registered equals what poolvisor
// would register.
func sameCommands(have, want []*discordgo.ApplicationCommand) bool {
	// Compared as JSON: empty and missing lists differ in Go but not on
	// the wire.
	ja, _ := json.Marshal(project(have))
	jb, _ := json.Marshal(project(want))
	return string(ja) == string(jb)
}

// Register makes the registered commands equal Definitions: per configured
// guild (they appear at once), or globally when there is none. Each scope
// is overwritten in bulk only when it differs.
func (a *Adapter) Register(ctx context.Context) error {
	want := Definitions()
	scopes := a.cfg.GuildIDs
	if len(scopes) == 0 {
		scopes = []string{""}
	}
	for _, guild := range scopes {
		have, err := a.api.Commands(ctx, a.cfg.ApplicationID, guild)
		if err != nil {
			return fmt.Errorf("read registered commands (guild %q): %w", guild, err)
		}
		if sameCommands(have, want) {
			a.log.Info("discord: commands already registered", "guild", guild)
			continue
		}
		if err := a.api.OverwriteCommands(ctx, a.cfg.ApplicationID, guild, want); err != nil {
			return fmt.Errorf("register commands (guild %q): %w", guild, err)
		}
		a.log.Info("discord: commands registered", "guild", guild, "commands", len(want))
	}
	return nil
}
