package discord

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// A Discord modal holds text inputs only, no Preview button; so a submitted
// form is answered with its plan (SPEC §1: in chat forms, Preview does what
// --plan does) and applied only when its member clicks Apply.
//
// The plan is a message for the member alone, with an Apply and a Cancel
// button; the footer of its first embed says, for the member to read, what
// Apply runs. A click runs that command, without --plan, as the clicking
// member, through RBAC and approvals like any command. The command comes
// from state the adapter owns, never from the clicked message: Apply's
// custom_id carries it after planRun when it fits (maxCustomID), and else a
// key to it after planKey, in the adapter's planStore, which keeps it across
// restarts when the adapter has a posted.Store.
const (
	planRun = buttonPrefix + "plan:run:"
	planKey = buttonPrefix + "plan:key:"
	// planEdit is an edit form's Apply: a key to its command and what its
	// form showed and changes (editPlan), weighed again on the click.
	planEdit   = buttonPrefix + "plan:edit:"
	planCancel = buttonPrefix + "plan:cancel"
	applyNote  = "Apply runs: /"
)

// submitForm answers a submitted form with the plan of the command its
// values stand for, for the member alone: within fastAnswer, else deferred
// and edited in when it is ready. An edit is weighed first against what
// its form showed and the item read again as the member (the form model);
// what is wrong with the values is told instead, field by field.
func (a *Adapter) submitForm(in *discordgo.Interaction, fm model.Form, values map[string]string, shown model.Shown) *response {
	who, tok := actor(in), a.tokenOf(in)
	var (
		text string
		errs model.Errors
	)
	if !fm.Edit() { // a form that adds needs nothing but its values: checked at once
		if text, errs = fm.Text(values, model.Base{}); len(errs) > 0 {
			return reply(ephemeral(RenderText(fieldErrors(fm, errs))))
		}
	}
	res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		if !fm.Edit() {
			return a.run.Run(ctx, who, text+" --plan")
		}
		if text, errs = fm.Submit(ctx, a.run, who, values, shown); len(errs) > 0 {
			return ops.Result{Status: ops.StatusInvalid, Operation: fm.Cmd.Op}
		}
		return a.run.Run(ctx, who, text+" --plan")
	}, func(ctx context.Context, res ops.Result) {
		m := a.formAnswer(ctx, fm, res, text, errs, values, shown)
		if err := a.api.EditOriginal(ctx, a.cfg.ApplicationID, tok.Value, &m); err != nil {
			a.log.Error("discord: could not show a form's plan", "err", err)
		}
	})
	if !ready {
		return deferEphemeral
	}
	// The store is the local database: quick enough for the answer's path.
	return reply(ephemeral(a.formAnswer(context.Background(), fm, res, text, errs, values, shown)))
}

// formAnswer is what a submitted form is answered with: what is wrong with
// its values, or its plan.
func (a *Adapter) formAnswer(ctx context.Context, fm model.Form, res ops.Result, text string, errs model.Errors, values map[string]string, shown model.Shown) Message {
	if len(errs) > 0 {
		return RenderText(fieldErrors(fm, errs))
	}
	var edit *editPlan
	if fm.Edit() {
		edit = &editPlan{Words: fm.Words(), Target: formTarget{fm.Target, fm.Host, fm.PHP}.String(),
			Shown: shown.Encode(), Sent: fm.Sent(values, shown).Encode(), Text: text}
	}
	return a.planMessage(ctx, res, text, edit)
}

// editPlan is the plan of an edit form, kept for its Apply button: the
// command, and what the form showed and what it changes (the form model's
// digests, no value), for Apply to weigh the edit again (model.Recheck).
// The plan is applied on a click, maybe long after the form was weighed;
// what it changes may have been changed on the host meanwhile.
type editPlan struct {
	Words  string `json:"words"`
	Target string `json:"target"` // formTarget.String()
	Shown  string `json:"shown"`  // model.Shown.Encode()
	Sent   string `json:"sent"`   // model.Form.Sent(...).Encode()
	Text   string `json:"text"`
}

// recheck weighs edit again as who, just before Apply runs it: a result to
// answer instead when it is not to run.
func (a *Adapter) recheck(ctx context.Context, who ops.Actor, edit editPlan) (ops.Result, bool) {
	c, isForm := model.OfWords(edit.Words)
	shown, okShown := model.DecodeShown(edit.Shown)
	sent, okSent := model.DecodeShown(edit.Sent)
	if !isForm || !okShown || !okSent {
		return ops.Result{Status: ops.StatusFailed, Message: "This plan's form is not one poolvisor knows; nothing was applied. Run the command again."}, false
	}
	fm := formModel(c, parseFormTarget(edit.Target))
	errs := fm.Recheck(ctx, a.run, who, shown, sent)
	if len(errs) == 0 {
		return ops.Result{}, true
	}
	lines := []string{"Nothing was applied: what this plan changes was changed since the form was opened."}
	if msg, ok := errs[model.Whole]; ok {
		lines = append(lines, "• "+msg)
	}
	for _, fl := range fm.Fields {
		if msg, ok := errs[fl.Name]; ok {
			lines = append(lines, "• "+fl.Label+": "+msg)
		}
	}
	return ops.Result{Status: ops.StatusConflict, Operation: fm.Cmd.Op, Message: strings.Join(lines, "\n")}, false
}

// planMessage draws the plan of a form's command text. A plan that can be
// applied gets the Apply and Cancel buttons and, in its first footer, the
// command Apply runs; one that cannot shows why, and how to try again.
func (a *Adapter) planMessage(ctx context.Context, res ops.Result, text string, edit *editPlan) Message {
	note := applyNote + text
	apply := discordgo.Button{Label: "Apply", Style: discordgo.SuccessButton, CustomID: planRun + text}
	kept := true
	if res.Status == ops.StatusOK && len(note) <= maxFooter && edit != nil {
		key, err := a.plans.putEdit(ctx, *edit)
		if err != nil {
			a.log.Error("discord: could not keep an edit form's plan for its Apply button", "err", err)
		}
		apply.CustomID, kept = planEdit+key, err == nil
	} else if res.Status == ops.StatusOK && len(note) <= maxFooter && len(apply.CustomID) > maxCustomID {
		key, err := a.plans.put(ctx, text)
		if err != nil {
			a.log.Error("discord: could not keep a form's plan for its Apply button", "err", err)
		}
		apply.CustomID, kept = planKey+key, err == nil
	}
	if res.Status != ops.StatusOK || len(note) > maxFooter || !kept {
		m := render(res, diffReserve)
		why := "Nothing was applied. Run the command again to open the form again."
		if res.Status == ops.StatusOK {
			why = "This change is too long to keep for an Apply button; give it as the command's options instead."
		}
		setFirstFooter(&m, why)
		return fit(m)
	}
	m := render(res, diffReserve+len(note))
	setFirstFooter(&m, note)
	m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		apply,
		discordgo.Button{Label: "Cancel", Style: discordgo.SecondaryButton, CustomID: planCancel},
	}}}
	return fit(m)
}

func setFirstFooter(m *Message, text string) {
	if len(m.Embeds) > 0 {
		m.Embeds[0].Footer = &discordgo.MessageEmbedFooter{Text: text}
	}
}

// planButton reports whether customID is a plan's Apply button.
func planButton(customID string) bool {
	return strings.HasPrefix(customID, planRun) || strings.HasPrefix(customID, planKey) || strings.HasPrefix(customID, planEdit)
}

// planCommand returns the command of a plan's Apply button: from its
// custom_id, or taken from the plan store under the key it carries.
func (a *Adapter) planCommand(ctx context.Context, customID string) (string, bool) {
	if text, ok := strings.CutPrefix(customID, planRun); ok {
		return text, text != ""
	}
	if key, ok := strings.CutPrefix(customID, planKey); ok {
		return a.plans.take(ctx, key)
	}
	return "", false
}

// formButton answers a click on a plan's Apply or Cancel button, and
// reports whether the click was one. Each plan is applied or cancelled at
// most once, whoever clicks and however often.
func (a *Adapter) formButton(ctx context.Context, in *discordgo.Interaction) (*response, bool) {
	if in.Type != discordgo.InteractionMessageComponent {
		return nil, false
	}
	id := in.MessageComponentData().CustomID
	if !planButton(id) && id != planCancel {
		return nil, false
	}
	who := actor(in)
	key := ""
	if in.Message != nil && in.Message.ID != "" {
		key = "plan:" + in.Message.ID
	}
	if first, err := a.claim(ctx, key); err != nil || !first {
		return reply(ephemeral(RenderText("This plan was already applied or cancelled. Run the command again for a new one."))), true
	}
	if id == planCancel {
		m := newMessage()
		if in.Message != nil {
			m = newMessage(in.Message.Embeds...)
		}
		setFirstFooter(&m, "Cancelled by "+firstNonEmpty(who.Name, who.ID)+"; nothing was applied.")
		return updateMessage(fit(m)), true
	}
	var edit *editPlan
	text, known := "", false
	if key, ok := strings.CutPrefix(id, planEdit); ok {
		if e, found := a.plans.takeEdit(ctx, key); found {
			edit, text, known = &e, e.Text, true
		}
	} else {
		text, known = a.planCommand(ctx, id)
	}
	if !known {
		return reply(ephemeral(RenderText("This plan is no longer kept (it is more than a day old); nothing was applied. Run the command again for a new one."))), true
	}
	tok := a.tokenOf(in)
	clicked := msgRef{Channel: in.ChannelID}
	if in.Message != nil {
		clicked = msgRef{Channel: firstNonEmpty(in.Message.ChannelID, in.ChannelID), Message: in.Message.ID}
	}
	res, ready := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		if edit != nil {
			if refused, ok := a.recheck(ctx, who, *edit); !ok {
				return refused
			}
		}
		return a.run.Run(ctx, who, text)
	}, func(ctx context.Context, res ops.Result) {
		a.clickedLate(ctx, tok, clicked, who, text, res)
	})
	if !ready {
		return ackUpdate, true
	}
	a.bg.Go(func(ctx context.Context) { a.afterResult(ctx, res, who, tok) })
	return reply(resultMessage(res, who, "/"+text)), true
}
