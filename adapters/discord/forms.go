package discord

import (
	"context"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Discord's limits on a modal.
// https://discord.com/developers/docs/components/reference#text-input
const (
	maxModalInputs = 5
	maxModalTitle  = 45
	maxInputLabel  = 45
	maxInputValue  = 4000
)

// formPrefix marks a modal's custom_id; the rest is the command words and
// the target, like "pv:form:supervisor edit:web".
const formPrefix = buttonPrefix + "form:"

// input is one text input of a form: the flag it fills and its directive
// in the file (to prefill an edit).
type input struct {
	Flag, Label, Key, Hint string
	Paragraph, Required    bool
}

// formInputs makes an input of every flag of flags that Discord's forms
// show. A modal has no select, so a choice says its choices in the hint.
func formInputs(flags []catalog.Flag) []input {
	var out []input
	for _, f := range catalog.InForm(flags, catalog.DiscordForm) {
		hint := f.Hint
		if hint == "" && len(f.Choices) > 1 {
			hint = strings.Join(f.Choices[:len(f.Choices)-1], ", ") + " or " + f.Choices[len(f.Choices)-1]
		}
		out = append(out, input{Flag: f.Name, Key: f.Key, Label: f.Label, Hint: hint,
			Paragraph: f.Type == catalog.Repeat, Required: f.Required})
	}
	return out
}

// formOf returns the form a command opens, if it opens one: create, add
// and edit given nothing but their target, and edit with raw alone (the
// whole file in one field, rawInputs).
func formOf(top string, path []string, given []optionValue) ([]input, formTarget, bool) {
	words := top + " " + strings.Join(path, " ")
	var target formTarget
	raw := false
	for _, o := range given {
		switch o.Name {
		case catalog.PoolOption, catalog.ProgramOption:
			target.Name, _ = o.Value.(string)
		case "host":
			target.Host, _ = o.Value.(string)
		case phpOpt.Name:
			target.PHP, _ = o.Value.(string)
		case "raw":
			raw, _ = o.Value.(bool)
		default:
			return nil, formTarget{}, false // options given: run them as typed
		}
	}
	if (target.Host != "" && !ops.ValidName(target.Host)) || (target.PHP != "" && !ops.ValidName(target.PHP)) {
		return nil, formTarget{}, false // let the grammar say what is wrong with it
	}
	c, ok := formCommand(words)
	switch {
	case !ok:
		return nil, formTarget{}, false
	case raw && slices.ContainsFunc(c.Flags, func(f catalog.Flag) bool { return f.Name == catalog.RawFlag.Name }):
		return rawInputs, target, true
	case raw:
		return nil, formTarget{}, false
	}
	return formInputs(c.Flags), target, true
}

// formCommand returns the command of the catalog words stand for ("fpm
// pool edit"), if it opens a form: one that takes a set of flags (the pool
// or the program flags). The form shows those of them the catalog puts in
// Discord's form: the most useful five; the others keep their defaults
// (or, for an edit, their current values) and stay reachable as options.
func formCommand(words string) (catalog.Command, bool) {
	for _, c := range catalog.Commands {
		if c.FlagSet != "" && strings.Join(c.Words, " ") == words {
			return c, true
		}
	}
	return catalog.Command{}, false
}

// formTarget is what a form acts on: a pool or program (none for add and
// create), on a host (none: the channel's or the default one), of a
// PHP-FPM instance (none: the default one). It travels in the modal's
// custom_id as NAME, NAME@HOST, NAME#PHP or NAME@HOST#PHP; valid names
// hold neither @ nor #.
type formTarget struct{ Name, Host, PHP string }

func (t formTarget) String() string {
	s := t.Name
	if t.Host != "" {
		s += "@" + t.Host
	}
	if t.PHP != "" {
		s += "#" + t.PHP
	}
	return s
}

func parseFormTarget(s string) formTarget {
	s, php, _ := strings.Cut(s, "#")
	name, host, _ := strings.Cut(s, "@")
	return formTarget{Name: name, Host: host, PHP: php}
}

// onHost is the --host and --php flags of a form's commands, for those it
// names.
func (t formTarget) onHost() string {
	s := ""
	if t.Host != "" {
		s += " --host " + t.Host
	}
	if t.PHP != "" {
		s += " --" + phpOpt.Name + " " + t.PHP
	}
	return s
}

type modalData struct {
	CustomID   string                       `json:"custom_id"`
	Title      string                       `json:"title"`
	Components []discordgo.MessageComponent `json:"components"`
}

// openForm answers with a modal (type 9). An edit is prefilled with the
// current values, read as the member (so RBAC applies) within fastAnswer.
func (a *Adapter) openForm(who ops.Actor, words string, target formTarget, inputs []input) *response {
	if isRaw(inputs) {
		return a.openRawForm(who, words, target)
	}
	current := map[string]string{}
	if strings.HasSuffix(words, " edit") {
		show := strings.TrimSuffix(words, "edit") + "show " + command.Word(target.Name) + target.onHost()
		res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result { return a.run.Run(ctx, who, show) }, func(context.Context, ops.Result) {})
		if !ready {
			return reply(ephemeral(RenderText("⏳ Reading the current values took too long; give the options to change instead.")))
		}
		if res.Status != ops.StatusOK {
			return reply(ephemeral(Render(res)))
		}
		d := view.Decode(res.Data)
		switch {
		case d.Program != nil:
			current = d.Program.Directives
		case d.Pool != nil:
			current = d.Pool.Directives
		}
	}
	var rows []discordgo.MessageComponent
	for _, in := range inputs[:min(len(inputs), maxModalInputs)] {
		ti := discordgo.TextInput{CustomID: in.Flag, Label: truncate(in.Label, maxInputLabel), Style: discordgo.TextInputShort,
			Placeholder: truncate(in.Hint, 100), Required: in.Required, MaxLength: maxInputValue, Value: truncate(current[in.Key], maxInputValue)}
		if in.Paragraph {
			ti.Style = discordgo.TextInputParagraph
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{ti}})
	}
	title := strings.ToUpper(words[:1]) + words[1:] + " " + target.Name
	if target.PHP != "" {
		title += " (PHP " + target.PHP + ")"
	}
	if target.Host != "" {
		title += " on " + target.Host
	}
	return &response{Type: discordgo.InteractionResponseModal, Data: modalData{
		CustomID: truncate(formPrefix+words+":"+target.String(), maxCustomID), Title: truncate(title, maxModalTitle), Components: rows}}
}

// formText turns a submitted modal into command text: its words, target,
// and a flag for every filled input (--set once per line).
func formText(customID string, values map[string]string) (string, bool) {
	rest, ok := strings.CutPrefix(customID, formPrefix)
	if !ok {
		return "", false
	}
	words, id, ok := strings.Cut(rest, ":")
	c, isForm := formCommand(words)
	if !ok || !isForm {
		return "", false
	}
	inputs := formInputs(c.Flags)
	target := parseFormTarget(id)
	parts := []string{words, command.Word(target.Name)}
	if target.Host != "" {
		parts = append(parts, "--host", command.Word(target.Host))
	}
	if target.PHP != "" {
		parts = append(parts, "--"+phpOpt.Name, command.Word(target.PHP))
	}
	flags := make([]string, 0, len(values))
	for f := range values {
		flags = append(flags, f)
	}
	slices.Sort(flags)
	for _, f := range flags {
		v := strings.TrimSpace(values[f])
		if v == "" || !slices.ContainsFunc(inputs, func(in input) bool { return in.Flag == f }) {
			continue
		}
		if f == catalog.Set {
			for _, l := range strings.Split(v, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					parts = append(parts, "--set", command.Word(l))
				}
			}
			continue
		}
		parts = append(parts, "--"+f, command.Word(v))
	}
	return strings.Join(parts, " "), true
}

// submitted answers a submitted modal: a form with the plan of the command
// it stands for, to apply with a click (see submitPlan); a raw editor by
// applying the file, checked as a whole (see submitRaw).
func (a *Adapter) submitted(in *discordgo.Interaction) *response {
	d := in.ModalSubmitData()
	values := map[string]string{}
	for _, c := range d.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, rc := range row.Components {
			if ti, ok := rc.(*discordgo.TextInput); ok {
				values[ti.CustomID] = ti.Value
			}
		}
	}
	if op, ok := rawOperation(d.CustomID, values); ok {
		return a.submitRaw(in, op)
	}
	text, ok := formText(d.CustomID, values)
	if !ok {
		return reply(ephemeral(RenderText("⚠️ poolvisor does not know this form.")))
	}
	return a.submitPlan(in, text)
}
