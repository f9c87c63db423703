package discord

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
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
	maxPlaceholder = 100
)

// formPrefix marks a modal's custom_id; the rest is the command words and
// the target, like "pv:form:supervisor edit:web".
const formPrefix = buttonPrefix + "form:"

// formOf reports whether a command opens a form: create, add and edit
// given nothing but their target, and edit with raw alone (the whole file
// in one field, openRawForm); and what it acts on.
func formOf(top string, path []string, given []optionValue) (raw bool, target formTarget, ok bool) {
	words := top + " " + strings.Join(path, " ")
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
			return false, formTarget{}, false // options given: run them as typed
		}
	}
	if (target.Host != "" && !ops.ValidName(target.Host)) || (target.PHP != "" && !ops.ValidName(target.PHP)) {
		return false, formTarget{}, false // let the grammar say what is wrong with it
	}
	c, ok := model.OfWords(words)
	switch {
	case !ok:
		return false, formTarget{}, false
	case raw && slices.ContainsFunc(c.Flags, func(f catalog.Flag) bool { return f.Name == catalog.RawFlag.Name }):
		return true, target, true
	case raw:
		return false, formTarget{}, false
	}
	return false, target, true
}

// formModel is the form of c on target in Discord's layout: the catalog's
// short list cut to a modal's five inputs. The name is the command's
// option, so a form that adds has no name field. The flags the form does
// not show keep their defaults (or, for an edit, their current values)
// and stay reachable as options.
func formModel(c catalog.Command, t formTarget) model.Form {
	fm := model.New(c, t.Name, model.Layout{Show: model.Short.Show, MaxInputs: maxModalInputs})
	fm.Host, fm.PHP = t.Host, t.PHP
	return fm
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
func (a *Adapter) openForm(who ops.Actor, words string, target formTarget, raw bool) *response {
	if raw {
		return a.openRawForm(who, words, target)
	}
	c, _ := model.OfWords(words)
	fm := formModel(c, target)
	if fm.Edit() {
		show := strings.TrimSuffix(words, "edit") + "show " + command.Word(target.Name) + target.onHost()
		res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result { return a.run.Run(ctx, who, show) }, func(context.Context, ops.Result) {})
		if !ready {
			return reply(ephemeral(RenderText("⏳ Reading the current values took too long; give the options to change instead.")))
		}
		if res.Status != ops.StatusOK {
			return reply(ephemeral(Render(res)))
		}
		switch d := view.Decode(res.Data); {
		case d.Program != nil:
			fm.Prefill(d.Program.Directives)
		case d.Pool != nil:
			fm.Prefill(d.Pool.Directives)
		}
	} else {
		fm.Defaults(nil)
	}
	if fl, long := fm.TooLong(maxInputValue); long {
		return reply(ephemeral(RenderText(fmt.Sprintf("⚠️ The %s of %s is longer than a Discord form field holds (%d characters); change it with the command's options or `raw`.",
			fl.Label, code(target.Name), maxInputValue))))
	}
	title := strings.ToUpper(words[:1]) + words[1:] + " " + target.Name
	if target.PHP != "" {
		title += " (PHP " + target.PHP + ")"
	}
	if target.Host != "" {
		title += " on " + target.Host
	}
	customID := formPrefix + words + ":" + target.String()
	if fm.Edit() {
		// The store is the local database: quick enough for the answer's path.
		key, err := a.plans.putForm(context.Background(), formOpened{Words: words, Target: target.String(), Shown: fm.Shown().Encode(), User: who.ID})
		if err != nil {
			a.log.Error("discord: could not keep what an edit form shows", "err", err)
			return reply(ephemeral(RenderText("⚠️ The form could not be opened; give the options to change instead.")))
		}
		customID = formKey + key
	}
	return &response{Type: discordgo.InteractionResponseModal, Data: modalOf(fm, customID, title)}
}

// formKey prefixes the custom_id of an edit form's modal, before the key to
// what it showed in the plan store (formOpened); "key" is no command's
// words.
const formKey = formPrefix + "key:"

// formOpened is an edit form as it opened, kept in the plan store: what it
// is for, what it showed (the form model's digests, no value) and the
// member it opened for.
type formOpened struct {
	Words  string `json:"words"`
	Target string `json:"target"` // formTarget.String()
	Shown  string `json:"shown"`  // model.Shown.Encode()
	User   string `json:"user"`
}

// modalOf draws form fm as a modal: a row of one text input a field. A
// modal has no select, so a choice says its choices in the placeholder.
func modalOf(fm model.Form, customID, title string) modalData {
	var rows []discordgo.MessageComponent
	for _, fl := range fm.Fields[:min(len(fm.Fields), maxModalInputs)] {
		hint := fl.Hint
		if hint == "" && len(fl.Choices) > 1 {
			hint = strings.Join(fl.Choices[:len(fl.Choices)-1], ", ") + " or " + fl.Choices[len(fl.Choices)-1]
		}
		ti := discordgo.TextInput{CustomID: fl.Name, Label: truncate(fl.Label, maxInputLabel), Style: discordgo.TextInputShort,
			Placeholder: truncate(hint, maxPlaceholder), Required: fl.Required, MaxLength: maxInputValue, Value: truncate(fl.Value, maxInputValue)}
		if fl.Multiline() {
			ti.Style = discordgo.TextInputParagraph
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{ti}})
	}
	return modalData{CustomID: truncate(customID, maxCustomID), Title: truncate(title, maxModalTitle), Components: rows}
}

// formIn returns the form of a submitted modal's custom_id; ok is false for
// a modal that is no form of poolvisor's. An edit form's comes from the
// plan store with what it showed, taken once and only by the member it
// opened for; refused says why it does not, and nothing is run.
func (a *Adapter) formIn(ctx context.Context, customID string, who ops.Actor) (fm model.Form, shown model.Shown, refused string, ok bool) {
	rest, ok := strings.CutPrefix(customID, formPrefix)
	if !ok {
		return model.Form{}, nil, "", false
	}
	if key, kept := strings.CutPrefix(customID, formKey); kept {
		f, found, mine := a.plans.takeForm(ctx, key, who.ID)
		c, isForm := model.OfWords(f.Words)
		switch {
		case !found:
			return model.Form{}, nil, "This form is no longer kept (it was submitted already, or opened more than " + formMemory.String() +
				" ago); nothing was applied. Run the command again to open it again.", true
		case !mine:
			return model.Form{}, nil, "This form was opened by someone else; nothing was applied.", true
		case !isForm:
			return model.Form{}, nil, "", false
		}
		shown, _ = model.DecodeShown(f.Shown) // nil when unreadable: the model asks to reopen
		return formModel(c, parseFormTarget(f.Target)), shown, "", true
	}
	words, id, ok := strings.Cut(rest, ":")
	c, isForm := model.OfWords(words)
	if !ok || !isForm {
		return model.Form{}, nil, "", false
	}
	// A form that adds shows nothing current; an edit's custom_id without a
	// key (a modal opened before poolvisor kept them) has no shown, which
	// the model refuses.
	return formModel(c, parseFormTarget(id)), nil, "", true
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
	if op, refused, ok := a.rawOperation(context.Background(), d.CustomID, actor(in), values); ok {
		if refused != "" {
			return reply(ephemeral(RenderText("⚠️ " + refused)))
		}
		return a.submitRaw(in, op)
	}
	fm, shown, refused, ok := a.formIn(context.Background(), d.CustomID, actor(in))
	switch {
	case !ok:
		return reply(ephemeral(RenderText("⚠️ poolvisor does not know this form.")))
	case refused != "":
		return reply(ephemeral(RenderText("⚠️ " + refused)))
	}
	return a.submitForm(in, fm, values, shown)
}

// fieldErrors says, for the member alone, what is wrong with a submitted
// form's values, field by field in the form's order: a modal cannot show
// an error under its inputs, and it is closed by now.
func fieldErrors(fm model.Form, errs model.Errors) string {
	lines := []string{"⚠️ **Nothing was applied; the form cannot be applied as it is:**"}
	if msg, ok := errs[model.Whole]; ok {
		lines = append(lines, "• "+escape(msg))
	}
	for _, fl := range append(fm.Fields, model.Field{Name: catalog.Target, Label: "Name"}) {
		if msg, ok := errs[fl.Name]; ok {
			lines = append(lines, "• **"+escape(fl.Label)+"**: "+escape(msg))
		}
	}
	return strings.Join(lines, "\n") + "\nRun the command again to open the form again."
}
