package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// The raw editor (SPEC §1: `edit NAME --raw` opens the whole file in one
// multi-line field): a modal of one paragraph input holding the file, as
// the show of its program or pool gives it, read as the member. The
// submitted file is checked as a whole by the backend like any write, and
// applied when it passes; a file that does not changes nothing and is
// explained to the member alone.
const (
	// rawPrefix marks a raw editor's custom_id; the rest is the command
	// words and the target, like "pv:raw:supervisor edit:web".
	rawPrefix = buttonPrefix + "raw:"
	// rawField is the custom_id of its input, and the argument that
	// carries a whole file to the backends.
	rawField = model.RawField
)

// rawHint is the placeholder of the raw editor's input.
const rawHint = "The whole file; it is checked as a whole before anything changes"

// rawOps are the operations a raw editor can stand for, by command words.
var rawOps = map[string]string{"supervisor edit": "supervisor.program.edit", "fpm pool edit": "fpm.pool.edit"}

// openRawForm answers with the raw editor of target, prefilled with its
// file, or with why it cannot open: the file cannot be read, or it is
// longer than a Discord text input holds.
func (a *Adapter) openRawForm(who ops.Actor, words string, t formTarget) *response {
	if _, ok := rawOps[words]; !ok {
		return reply(ephemeral(RenderText("⚠️ Only edit opens a file in a form.")))
	}
	target := t.Name
	show := strings.TrimSuffix(words, "edit") + "show " + command.Word(target) + t.onHost()
	res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result { return a.run.Run(ctx, who, show) }, func(context.Context, ops.Result) {})
	if !ready {
		return reply(ephemeral(RenderText("⏳ Reading the file took too long; try again, or give the options to change instead.")))
	}
	if res.Status != ops.StatusOK {
		return reply(ephemeral(Render(res)))
	}
	var file, content string
	switch d := view.Decode(res.Data); {
	case d.Program != nil:
		file, content = d.Program.File, d.Program.Content
	case d.Pool != nil:
		file, content = d.Pool.File, d.Pool.Content
	}
	if strings.TrimSpace(content) == "" {
		return reply(ephemeral(RenderText("⚠️ The file of " + code(target) + " could not be read; change it with the command's options instead.")))
	}
	if len(content) > maxInputValue {
		return reply(ephemeral(RenderText(fmt.Sprintf("⚠️ %s is %d bytes, more than a Discord form field holds (%d characters). "+
			"Change it with the command's options (set KEY=VALUE), or on the host with `poolvisor console` or `poolvisor exec`.",
			code(firstNonEmpty(file, target)), len(content), maxInputValue))))
	}
	// What the editor shows is kept, as an edit form's is, for the member
	// it opened for: its digest is what the backend weighs the file
	// against on submission (a file written meanwhile is a conflict).
	key, err := a.plans.putForm(context.Background(), formOpened{Words: words, Target: t.String(), Shown: ops.Digest([]byte(content)), User: who.ID})
	if err != nil {
		a.log.Error("discord: could not keep what a raw editor shows", "err", err)
		return reply(ephemeral(RenderText("⚠️ The editor could not be opened; give the options to change instead.")))
	}
	ti := discordgo.TextInput{CustomID: rawField, Label: "File", Style: discordgo.TextInputParagraph, Placeholder: rawHint,
		Required: true, MaxLength: maxInputValue, Value: content}
	return &response{Type: discordgo.InteractionResponseModal, Data: modalData{
		CustomID:   rawKey + key,
		Title:      truncate("Edit the file of "+target, maxModalTitle),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{ti}}},
	}}
}

// rawKey prefixes the custom_id of a raw editor's modal, before the key
// to what it showed in the plan store (formOpened, Shown holding the
// digest of the file); "key" is no command's words.
const rawKey = rawPrefix + "key:"

// rawOperation turns a submitted raw editor into the edit it stands for,
// from the plan store, taken once and only by the member it opened for;
// ok is false for a modal that is no raw editor, refused says why one is
// not applied.
func (a *Adapter) rawOperation(ctx context.Context, customID string, who ops.Actor, values map[string]string) (op ops.Operation, refused string, ok bool) {
	key, isRaw := strings.CutPrefix(customID, rawKey)
	if !isRaw {
		if strings.HasPrefix(customID, rawPrefix) { // opened before the editors were kept
			return ops.Operation{}, "This editor was opened by an older poolvisor; nothing was applied. Run the command again to open it again.", true
		}
		return ops.Operation{}, "", false
	}
	f, found, mine := a.plans.takeForm(ctx, key, who.ID)
	switch {
	case !found:
		return ops.Operation{}, "This editor is no longer kept (it was submitted already, or opened more than " + formMemory.String() +
			" ago); nothing was applied. Run the command again to open it again.", true
	case !mine:
		return ops.Operation{}, "This editor was opened by someone else; nothing was applied.", true
	}
	t := parseFormTarget(f.Target)
	name, known := rawOps[f.Words]
	if !known || !ops.ValidName(t.Name) || (t.Host != "" && !ops.ValidName(t.Host)) || (t.PHP != "" && !ops.ValidName(t.PHP)) {
		return ops.Operation{}, "", false
	}
	fm, ok := model.RawEditor(name, t.Name, t.PHP)
	fm.Host = t.Host
	return fm.RawOperation(values[rawField], f.Shown), "", ok
}

// submitRaw applies a submitted file as the member, and answers like a
// typed write: the result for the channel, a refusal for the member alone.
func (a *Adapter) submitRaw(in *discordgo.Interaction, op ops.Operation) *response {
	who, tok := actor(in), a.tokenOf(in)
	res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		return a.run.Execute(ctx, who, op)
	}, func(ctx context.Context, res ops.Result) {
		a.finishDeferred(ctx, tok, true, who, op.Text, res)
	})
	if !ready {
		return deferPublic
	}
	a.bg.Go(func(ctx context.Context) { a.afterResult(ctx, res, who, tok) })
	return reply(resultMessage(res, who, op.Text))
}
